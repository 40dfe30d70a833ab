/**
 * Small statistics for the benchmark: percentiles (nearest rank), latency
 * summaries, rates and CPU per 10k orders. Pure.
 *
 * @example
 * ```ts
 * import { latencySummary, percentile } from "./stats.ts";
 * percentile([5, 1, 3, 2, 4], 50); // 3
 * latencySummary([10, 20, 30]).p99; // 30
 * ```
 * @module
 */

/** The nearest-rank `p`-th percentile (0 < p ≤ 100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Latencies in milliseconds, summarized. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Summarizes latencies (ms); every figure is NaN when there are none. */
export function latencySummary(values: readonly number[]): LatencySummary {
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : NaN,
    mean,
  };
}

/** Records per second; 0 when no time passed. */
export function perSecond(records: number, seconds: number): number {
  return seconds > 0 ? records / seconds : 0;
}

/** CPU seconds spent per 10,000 orders. */
export function cpuPer10k(cpuSeconds: number, orders: number): number {
  return orders > 0 ? (cpuSeconds / orders) * 10_000 : NaN;
}
