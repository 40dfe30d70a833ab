/**
 * What the order status service does with each batch of `order_status`
 * records: every status event into the view (shared/order_status/order_status_view.ts),
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
 * const eachBatch = createStatusFeed(view, new MetricsRegistry(), createLogger({ name: "x" }));
 * // await consumer.run({ autoCommit: false, eachBatch });
 * ```
 * @module
 */
import type { EachBatchPayload } from "kafkajs";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { OrderStatusView } from "./order_status_view.ts";
import { parseStatusEvent } from "../orders/status_event.ts";

/** The `eachBatch` that feeds `view`, with its metrics registered on `metrics`. */
export function createStatusFeed(
  view: OrderStatusView,
  metrics: MetricsRegistry,
  log: Logger,
): (payload: Pick<EachBatchPayload, "batch">) => Promise<void> {
  const consumed = metrics.counter("status_events_total", "status events read, by result", [
    "result",
  ]);
  const ordersGauge = metrics.gauge("status_view_orders", "orders in the view");
  return ({ batch }) => {
    for (const msg of batch.messages) {
      const e = parseStatusEvent(msg.value);
      if ("invalid" in e) {
        consumed.inc({ result: "invalid" });
        log.warn("not a status event; skipped", {
          partition: batch.partition,
          offset: msg.offset,
          reason: e.invalid,
        });
        continue;
      }
      consumed.inc({ result: view.add(e) });
    }
    ordersGauge.set({}, view.orders);
    return Promise.resolve();
  };
}
