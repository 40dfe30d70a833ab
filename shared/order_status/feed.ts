/**
 * What the order status service does with the `order_status` records it
 * reads: every status event into the view (shared/order_status/order_status_view.ts),
 * counted by what the view made of it; a record that is no status event is
 * counted as invalid, logged and skipped (the stream is not the service's
 * to police).
 *
 * @example
 * ```ts
 * import { createLogger } from "../platform/log.ts";
 * import { MetricsRegistry } from "../platform/metrics.ts";
 * import { OrderStatusView } from "./order_status_view.ts";
 * import { createStatusFeed } from "./feed.ts";
 * const view = new OrderStatusView();
 * const feed = createStatusFeed(view, new MetricsRegistry(), createLogger({ name: "x" }));
 * feed([{ partition: 0, offset: "0", value: new TextEncoder().encode("{}") }]);
 * view.orders; // 0: "{}" is no status event
 * ```
 * @module
 */
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { OrderStatusView } from "./order_status_view.ts";
import { parseStatusEvent } from "../orders/status_event.ts";

/** A record of the stream, as far as the feed looks at it. */
export interface StatusRecord {
  partition: number;
  offset: string;
  value: Uint8Array | null | undefined;
}

/** What feeds `view` with records, its metrics registered on `metrics`. */
export function createStatusFeed(
  view: OrderStatusView,
  metrics: MetricsRegistry,
  log: Logger,
): (records: readonly StatusRecord[]) => void {
  const consumed = metrics.counter("status_events_total", "status events read, by result", [
    "result",
  ]);
  const ordersGauge = metrics.gauge("status_view_orders", "orders in the view");
  return (records) => {
    for (const record of records) {
      const e = parseStatusEvent(record.value ?? null);
      if ("invalid" in e) {
        consumed.inc({ result: "invalid" });
        log.warn("not a status event; skipped", {
          partition: record.partition,
          offset: record.offset,
          reason: e.invalid,
        });
        continue;
      }
      consumed.inc({ result: view.add(e) });
    }
    ordersGauge.set({}, view.orders);
  };
}
