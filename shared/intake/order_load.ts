/**
 * The load generator's loop: takes orders from a generator at a steady rate
 * (a token bucket, not a sleep per order), sends them in batches to an
 * {@linkcode OrderSink} with a few batches in flight, and counts what Kafka
 * acknowledged, by type. It stops after `count` orders, on `signal`, or at the
 * first failed send; in every case it waits for the sends in flight first.
 *
 * @example
 * ```ts
 * import { DEFAULT_CATALOG } from "../orders/catalog.ts";
 * import { createOrderGenerator, parseMix } from "../orders/generate.ts";
 * import { runOrderLoad } from "./order_load.ts";
 * const generator = createOrderGenerator({
 *   seed: 1,
 *   mix: parseMix("inventory=1,delivery=1"),
 *   catalog: DEFAULT_CATALOG,
 * });
 * const stats = await runOrderLoad({
 *   sink: { send: () => Promise.resolve() },
 *   next: generator.nextSample,
 *   rate: 0,
 *   count: 100,
 * });
 * stats.sent; // 100
 * ```
 * @module
 */
import type { OrderSink } from "./intake.ts";
import type { Logger } from "../platform/log.ts";
import type { GeneratedOrder } from "../orders/generate.ts";
import type { RawOrder } from "../orders/model.ts";
import { createTokenBucket } from "./rate_schedule.ts";
import { sleep } from "../platform/shutdown.ts";

export interface OrderLoadOptions {
  sink: OrderSink;
  /** The next order (and whether it was spoiled on purpose). */
  next: () => GeneratedOrder;
  /** Orders per second; 0 sends as fast as the sink takes them. */
  rate: number;
  /** How many orders in all; 0 runs until `signal` aborts. */
  count: number;
  /** Most orders per send; 500 by default. */
  batchSize?: number;
  /** Most sends awaiting acknowledgement; 4 by default. */
  maxInFlight?: number;
  /** Stops the loop (after the sends in flight). */
  signal?: AbortSignal;
  /** For the token bucket; `performance.now` by default. */
  now?: () => number;
}

/** What a load run did; updated as it goes, so progress lines can read it. */
export interface OrderLoadStats {
  /** Orders taken from the generator. */
  generated: number;
  /** Orders Kafka acknowledged. */
  sent: number;
  /** Of `sent`, those made invalid on purpose. */
  invalid: number;
  /** Orders whose send failed. */
  failed: number;
  /** Acknowledged orders by type. */
  byType: Record<string, number>;
  /** The first failed send's error, which stopped the run. */
  error?: Error;
}

export function emptyLoadStats(): OrderLoadStats {
  return { generated: 0, sent: 0, invalid: 0, failed: 0, byType: {} };
}

/** The least time the loop sleeps between batches, so a high rate makes batches, not wake-ups. */
const MIN_TICK_MS = 10;

/** Runs the load; resolves with the stats (with `error` set if a send failed). */
export async function runOrderLoad(
  options: OrderLoadOptions,
  stats: OrderLoadStats = emptyLoadStats(),
): Promise<OrderLoadStats> {
  const { sink, next, rate, count, batchSize = 500, maxInFlight = 4, signal } = options;
  const bucket = createTokenBucket({ ratePerSecond: rate, now: options.now });
  const inFlight = new Set<Promise<void>>();
  const more = () => count === 0 || stats.generated < count;

  while (more() && !signal?.aborted && stats.error === undefined) {
    const want = count === 0 ? batchSize : Math.min(batchSize, count - stats.generated);
    const n = bucket.take(want);
    if (n === 0) {
      await sleep(Math.max(MIN_TICK_MS, bucket.msUntil(1)), signal);
      continue;
    }
    const orders: RawOrder[] = [];
    let invalid = 0;
    for (let i = 0; i < n; i++) {
      const sample = next();
      orders.push(sample.order);
      if (sample.defect !== null) invalid++;
    }
    stats.generated += n;
    const sending: Promise<void> = sink.send(orders).then(
      () => {
        stats.sent += n;
        stats.invalid += invalid;
        for (const o of orders) stats.byType[o.type] = (stats.byType[o.type] ?? 0) + 1;
      },
      (err) => {
        stats.failed += n;
        stats.error ??= err instanceof Error ? err : new Error(String(err));
      },
    ).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return stats;
}

/** The fields of one progress line; the rate is over the `elapsedMs` since `sentBefore`. Pure. */
export function progressFields(
  stats: OrderLoadStats,
  sentBefore: number,
  elapsedMs: number,
): Record<string, unknown> {
  const rate = ((stats.sent - sentBefore) * 1000) / Math.max(1, elapsedMs);
  return {
    sent: stats.sent,
    ratePerSec: Math.round(rate * 10) / 10,
    invalid: stats.invalid,
    failed: stats.failed,
    byType: { ...stats.byType },
  };
}

/**
 * Logs a progress line every `intervalMs` (none when 0): totals, the rate
 * since the last line, and counts by type. Returns a function that stops it.
 */
export function reportProgress(
  stats: OrderLoadStats,
  intervalMs: number,
  log: Logger,
): () => void {
  if (intervalMs <= 0) return () => {};
  let lastSent = stats.sent;
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const t = performance.now();
    log.info("progress", progressFields(stats, lastSent, t - lastAt));
    lastSent = stats.sent;
    lastAt = t;
  }, intervalMs);
  return () => clearInterval(timer);
}
