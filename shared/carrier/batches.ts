/**
 * The carrier simulator's work on one batch of `order_status` records: the
 * scheduled deliveries among them (each order once), each one's plan
 * (shared/carrier/carrier.ts), and the three updates of every plan sent `delayMs`
 * apart, then the batch's offsets committed. At least once, like a real
 * webhook: a batch stopped midway (a signal, a rebalance) commits nothing,
 * so its updates are sent again with the same ids after a restart.
 *
 * @example
 * ```ts
 * import { MetricsRegistry } from "../platform/metrics.ts";
 * import { carrierMetrics, createCarrierBatchHandler } from "./batches.ts";
 * // const eachBatch = createCarrierBatchHandler({ codec, producer, consumer, ... });
 * // await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
 * carrierMetrics(new MetricsRegistry()).sent.inc({ status: "dispatched" });
 * ```
 * @module
 */
import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from "kafkajs";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import { carrierEventValue, carrierPlan, scheduledDelivery } from "./carrier.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import { sleep } from "../platform/shutdown.ts";

/** The simulator's metrics, registered on `metrics`. */
export function carrierMetrics(metrics: MetricsRegistry) {
  return {
    scheduled: metrics.counter("carrier_deliveries_total", "scheduled deliveries handled", [
      "outcome",
    ]),
    sent: metrics.counter("carrier_updates_sent_total", "carrier updates sent", ["status"]),
    rebalances: metrics.counter("carrier_rebalances_total", "consumer group joins"),
    sendSeconds: metrics.histogram("carrier_send_seconds", "time to send one batch of updates"),
  };
}

/** What the progress lines count. */
export interface CarrierTotals extends Record<string, number> {
  statusEvents: number;
  deliveries: number;
  updates: number;
  failed: number;
}

export interface CarrierBatchOptions {
  codec: Pick<AvroCodec, "encode">;
  producer: Pick<Producer, "send">;
  consumer: Pick<Consumer, "commitOffsets">;
  eventsTopic: string;
  delayMs: number;
  failureRate: number;
  /** Aborted: the batch stops between updates, committing nothing. */
  signal: AbortSignal;
  log: Logger;
  metrics: ReturnType<typeof carrierMetrics>;
  totals: CarrierTotals;
}

/** The scheduled deliveries among status messages, each order once. Pure. */
export function scheduledIn(messages: KafkaMessage[]): { orderId: string; carrier: string }[] {
  const byOrder = new Map<string, { orderId: string; carrier: string }>();
  for (const msg of messages) {
    const d = scheduledDelivery(msg.value);
    if (d) byOrder.set(d.orderId, d);
  }
  return [...byOrder.values()];
}

/** The `eachBatch` of the simulator's consumer (`eachBatchAutoResolve: false`, no auto-commit). */
export function createCarrierBatchHandler(
  options: CarrierBatchOptions,
): (payload: EachBatchPayload) => Promise<void> {
  const { codec, producer, consumer, signal, log, metrics: m, totals } = options;
  return async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
    if (batch.messages.length === 0) return;
    const deliveries = scheduledIn(batch.messages);
    totals.statusEvents += batch.messages.length;
    const plans = deliveries.map((d) => ({
      ...d,
      steps: carrierPlan(d.orderId, { failureRate: options.failureRate }),
    }));
    for (let step = 0; step < 3 && plans.length > 0; step++) {
      // Wait the delay in slices, staying in the group and stopping early on a signal.
      const until = Date.now() + options.delayMs;
      while (Date.now() < until && !signal.aborted) {
        await sleep(Math.min(1000, until - Date.now()), signal);
        await heartbeat();
      }
      if (signal.aborted || !isRunning() || isStale()) {
        log.info("stopping mid-batch; its updates are sent again on restart", {
          partition: batch.partition,
          deliveries: plans.length,
        });
        return;
      }
      const at = Date.now();
      const messages = plans.map((p) => ({
        key: p.orderId,
        value: codec.encode({ ...carrierEventValue(p.orderId, p.steps[step], at, p.carrier) }),
      }));
      const sendStarted = performance.now();
      await producer.send({ topic: options.eventsTopic, acks: -1, messages });
      m.sendSeconds.observe({}, (performance.now() - sendStarted) / 1000);
      for (const p of plans) m.sent.inc({ status: p.steps[step].status });
      totals.updates += plans.length;
    }
    for (const p of plans) {
      const outcome = p.steps[2].status;
      m.scheduled.inc({ outcome });
      if (outcome === "failed") totals.failed++;
    }
    totals.deliveries += plans.length;
    // Every update of the batch is acknowledged: move on, and say so to the group.
    resolveOffset(batch.lastOffset());
    const next = String(Number(batch.lastOffset()) + 1);
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: next },
    ]);
    if (plans.length) {
      log.debug("deliveries done", { partition: batch.partition, count: plans.length });
    }
  };
}
