/**
 * View-to-order conversion: the share of (user, product) pairs with a view
 * whose user then ordered that product (a sale; see fold.ts).
 *
 * A pair is *viewed* once some view of it is seen, and *converted* once its
 * earliest view is at or before its latest order, in event time. Views and
 * orders come from different topics, so either may arrive first; keeping
 * both ends of each pair makes the figure independent of arrival order.
 *
 * State is bounded: pairs not touched (in event time) for `retentionMs`
 * behind the latest event, and the least recently touched beyond
 * `capacity`, are forgotten. That is the attribution window: an order more
 * than `retentionMs` after the view does not convert it, and a view of a
 * forgotten pair counts as a new viewed pair.
 *
 * Per product, the aggregator also keeps all-time views and sales (fold.ts),
 * whose ratio is the simpler "orders per view" figure.
 *
 * @example
 * ```ts
 * import { addOrder, addView, conversionRate, emptyConversion } from "./conversion.ts";
 * const c = emptyConversion(3_600_000, 10_000);
 * addView(c, "cust-1", "SKU-1", 1_000);
 * addView(c, "cust-2", "SKU-1", 2_000);
 * addOrder(c, "cust-1", "SKU-1", 5_000);
 * conversionRate(c); // 0.5
 * ```
 * @module
 */

/** `[firstViewAt, lastOrderAt, lastTouchedAt, converted]`; -1 for "none yet". */
export type PairState = [number, number, number, 0 | 1];

export interface ConversionState {
  retentionMs: number;
  capacity: number;
  /** The latest event time seen, epoch ms. */
  watermark: number;
  viewedPairs: number;
  convertedPairs: number;
  /** Pairs by `user + "\u0000" + sku`. */
  pairs: Record<string, PairState>;
  /** How many pairs `pairs` holds. */
  size: number;
}

export function emptyConversion(retentionMs: number, capacity: number): ConversionState {
  if (!(retentionMs > 0)) throw new RangeError(`retentionMs must be above 0, got ${retentionMs}`);
  if (!(capacity >= 1 && Number.isInteger(capacity))) {
    throw new RangeError(`capacity must be a whole number of 1 or more, got ${capacity}`);
  }
  return {
    retentionMs,
    capacity,
    watermark: -1,
    viewedPairs: 0,
    convertedPairs: 0,
    pairs: Object.create(null),
    size: 0,
  };
}

function pairOf(c: ConversionState, user: string, sku: string, at: number): PairState {
  c.watermark = Math.max(c.watermark, at);
  const key = `${user}\u0000${sku}`;
  let pair = c.pairs[key];
  if (!pair) {
    pair = c.pairs[key] = [-1, -1, at, 0];
    c.size++;
    // Pruning sorts, so it runs once a quarter of the capacity has piled up.
    if (c.size > c.capacity * 1.25) prune(c);
  }
  pair[2] = Math.max(pair[2], at);
  return pair;
}

function settle(c: ConversionState, pair: PairState): void {
  if (pair[3] === 0 && pair[0] >= 0 && pair[1] >= 0 && pair[0] <= pair[1]) {
    pair[3] = 1;
    c.convertedPairs++;
  }
}

/** A view of `sku` by `user` at `at` (epoch ms). */
export function addView(c: ConversionState, user: string, sku: string, at: number): void {
  const pair = pairOf(c, user, sku, at);
  if (pair[0] < 0) {
    c.viewedPairs++;
    pair[0] = at;
  } else pair[0] = Math.min(pair[0], at);
  settle(c, pair);
}

/** An order of `sku` by `user` at `at` (epoch ms). */
export function addOrder(c: ConversionState, user: string, sku: string, at: number): void {
  const pair = pairOf(c, user, sku, at);
  pair[1] = Math.max(pair[1], at);
  settle(c, pair);
}

/**
 * Forgets pairs untouched for `retentionMs` behind the watermark, then the
 * least recently touched beyond `capacity`.
 */
export function prune(c: ConversionState): void {
  const horizon = c.watermark - c.retentionMs;
  for (const [key, pair] of Object.entries(c.pairs)) {
    if (pair[2] < horizon) {
      delete c.pairs[key];
      c.size--;
    }
  }
  if (c.size > c.capacity) {
    const byAge = Object.entries(c.pairs).sort((a, b) => a[1][2] - b[1][2]);
    for (const [key] of byAge.slice(0, c.size - c.capacity)) delete c.pairs[key];
    c.size = c.capacity;
  }
}

/** Converted pairs over viewed pairs; 0 before any view. */
export function conversionRate(c: ConversionState): number {
  return c.viewedPairs === 0 ? 0 : c.convertedPairs / c.viewedPairs;
}
