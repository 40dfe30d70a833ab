/**
 * What an intake counts: orders acknowledged (by source), failed produce
 * requests, the time to an acknowledgement, orders per request, and whether
 * the producer is connected. Without a registry every call does nothing.
 *
 * @example
 * ```ts
 * import { intakeMetrics } from "./intake_metrics.ts";
 * import { MetricsRegistry } from "../platform/metrics.ts";
 * const registry = new MetricsRegistry();
 * const metrics = intakeMetrics(registry, "gateway");
 * metrics.acknowledged(3, 0.004); // intake_orders_total{source="gateway"} 3
 * ```
 * @module
 */
import type { MetricsRegistry } from "../platform/metrics.ts";

/** The intake's figures, by what happened. */
export interface IntakeMetrics {
  /** A produce request of `orders` orders was acknowledged after `seconds`. */
  acknowledged(orders: number, seconds: number): void;
  /** A produce request failed; its callers got an error. */
  failed(): void;
  /** The producer connected (true) or was dropped (false). */
  connected(value: boolean): void;
}

/** Registers the intake's metrics on `registry` (none when undefined); `intake_connected` starts at 0. */
export function intakeMetrics(
  registry: MetricsRegistry | undefined,
  source: string,
): IntakeMetrics {
  const ordersTotal = registry?.counter(
    "intake_orders_total",
    "orders acknowledged by Kafka on the raw orders topic",
    ["source"],
  );
  const sendErrors = registry?.counter(
    "intake_send_errors_total",
    "produce requests that failed; their callers got an error",
  );
  const sendSeconds = registry?.histogram(
    "intake_send_seconds",
    "time from a produce request to its acknowledgement",
  );
  const batchOrders = registry?.histogram(
    "intake_batch_orders",
    "orders per produce request",
    [],
    [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
  );
  const connectedGauge = registry?.gauge("intake_connected", "1 when the producer is connected");
  connectedGauge?.set({}, 0);
  return {
    acknowledged(orders, seconds) {
      sendSeconds?.observe({}, seconds);
      batchOrders?.observe({}, orders);
      ordersTotal?.inc({ source }, orders);
    },
    failed: () => sendErrors?.inc(),
    connected: (value) => connectedGauge?.set({}, value ? 1 : 0),
  };
}
