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
 * // const handle = createCarrierBatchHandler({ codec, producer, ... });
 * // await consumeBatches(stream, signal, (records) => // shared/kafka/stream_batches.ts
 * //   Promise.all(byPartition(records).map((batch) => handle(batch, () => false))));
 * carrierMetrics(new MetricsRegistry()).sent.inc({ status: "dispatched" });
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import type { KafkaProducer } from "../kafka/client.ts";
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
  producer: Pick<KafkaProducer, "send">;
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
export function scheduledIn(
  messages: readonly { value?: Uint8Array | null }[],
): { orderId: string; carrier: string }[] {
  const byOrder = new Map<string, { orderId: string; carrier: string }>();
  for (const msg of messages) {
    const d = scheduledDelivery(msg.value);
    if (d) byOrder.set(d.orderId, d);
  }
  return [...byOrder.values()];
}

/** One partition's records of a batch; the last one's `commit()` commits past it. */
export interface CarrierBatch {
  partition: number;
  records: readonly { value?: Uint8Array | null; commit(): void | Promise<void> }[];
}

/**
 * The simulator's work on one partition's batch. `stale()` says the group
 * moved on (a rebalance): the batch then stops between updates, committing
 * nothing, as it does on the signal.
 */
export function createCarrierBatchHandler(
  options: CarrierBatchOptions,
): (batch: CarrierBatch, stale: () => boolean) => Promise<void> {
  const { codec, producer, signal, log, metrics: m, totals } = options;
  return async ({ partition, records }, stale) => {
    if (records.length === 0) return;
    const deliveries = scheduledIn(records);
    totals.statusEvents += records.length;
    const plans = deliveries.map((d) => ({
      ...d,
      steps: carrierPlan(d.orderId, { failureRate: options.failureRate }),
    }));
    for (let step = 0; step < 3 && plans.length > 0; step++) {
      // The library heartbeats on its own; only the signal cuts a delay short.
      if (options.delayMs > 0) await sleep(options.delayMs, signal);
      if (signal.aborted || stale()) {
        log.info("stopping mid-batch; its updates are sent again on restart", {
          partition,
          deliveries: plans.length,
        });
        return;
      }
      const at = Date.now();
      const messages = plans.map((p) => ({
        topic: options.eventsTopic,
        key: Buffer.from(p.orderId),
        value: codec.encode({ ...carrierEventValue(p.orderId, p.steps[step], at, p.carrier) }),
      }));
      const sendStarted = performance.now();
      await producer.send({ messages });
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
    await records[records.length - 1].commit();
    if (plans.length) log.debug("deliveries done", { partition, count: plans.length });
  };
}
