/**
 * Event-time windows with bounded state, as plain JSON objects (they are
 * persisted in the aggregator's state as they are).
 *
 * - Tumbling windows count events per fixed slot (orders per minute); the
 *   newest `keep` slots are kept, counted from the latest event time seen.
 * - A sliding window counts events per key (views per product) over the last
 *   `sizeMs`, moving in steps of `slideMs`: it is the sum of the
 *   `sizeMs / slideMs` newest slots, the latest event time's slot included.
 *
 * Both are fed out of order (a topic's partitions interleave): an event for a
 * slot that is still kept is counted wherever it arrives, one for a slot that
 * has already been dropped is counted as `late`. So the final figures do not
 * depend on the order events arrive in, only on which slots are kept.
 *
 * @example
 * ```ts
 * import { addSliding, addTumbling, emptySliding, emptyTumbling, slidingTotals } from "./windows.ts";
 * const perMinute = emptyTumbling(60_000, 60);
 * addTumbling(perMinute, Date.UTC(2024, 0, 1, 12, 0, 30));
 * perMinute.slots; // [[1704110400000, 1]]
 * const views = emptySliding(300_000, 10_000);
 * addSliding(views, "SKU-1001", 1_000);
 * slidingTotals(views); // { "SKU-1001": 1 }
 * ```
 * @module
 */

/** Counts per fixed slot; `slots` is `[slotStart, count]`, oldest first. */
export interface TumblingCounts {
  sizeMs: number;
  /** How many slots are kept. */
  keep: number;
  slots: [number, number][];
  /** Events whose slot had already been dropped. */
  late: number;
}

/** The start of the slot of `sizeMs` that holds `at`. */
export function slotStart(at: number, sizeMs: number): number {
  return Math.floor(at / sizeMs) * sizeMs;
}

export function emptyTumbling(sizeMs: number, keep: number): TumblingCounts {
  if (!(sizeMs > 0 && Number.isInteger(sizeMs))) {
    throw new RangeError(`sizeMs must be a whole number above 0, got ${sizeMs}`);
  }
  if (!(keep >= 1 && Number.isInteger(keep))) {
    throw new RangeError(`keep must be a whole number of 1 or more, got ${keep}`);
  }
  return { sizeMs, keep, slots: [], late: 0 };
}

/** Counts `n` events at `at` (epoch ms). */
export function addTumbling(w: TumblingCounts, at: number, n = 1): void {
  const start = slotStart(at, w.sizeMs);
  const newest = w.slots.length ? w.slots[w.slots.length - 1][0] : -Infinity;
  const oldestKept = Math.max(newest, start) - (w.keep - 1) * w.sizeMs;
  if (start < oldestKept) {
    w.late += n;
    return;
  }
  // Slots are few (keep) and events mostly land in the newest: search from the end.
  let i = w.slots.length - 1;
  while (i >= 0 && w.slots[i][0] > start) i--;
  if (i >= 0 && w.slots[i][0] === start) w.slots[i][1] += n;
  else w.slots.splice(i + 1, 0, [start, n]);
  while (w.slots.length && w.slots[0][0] < oldestKept) w.slots.shift();
}

/** Counts per key over the last `sizeMs`, in slots of `slideMs`. */
export interface SlidingCounts {
  sizeMs: number;
  slideMs: number;
  /** The latest event time seen, epoch ms (-1 before the first). */
  watermark: number;
  /** `[slotStart, counts by key]`, oldest first. */
  slots: [number, Record<string, number>][];
  late: number;
}

export function emptySliding(sizeMs: number, slideMs: number): SlidingCounts {
  if (!(slideMs > 0 && Number.isInteger(slideMs))) {
    throw new RangeError(`slideMs must be a whole number above 0, got ${slideMs}`);
  }
  if (!(sizeMs >= slideMs && sizeMs % slideMs === 0)) {
    throw new RangeError(`sizeMs must be a whole multiple of slideMs (${slideMs}), got ${sizeMs}`);
  }
  return { sizeMs, slideMs, watermark: -1, slots: [], late: 0 };
}

/** The oldest slot start inside the window, for a given watermark. */
function oldestSlot(s: SlidingCounts, watermark: number): number {
  return slotStart(watermark, s.slideMs) - s.sizeMs + s.slideMs;
}

/** Counts one event of `key` at `at` (epoch ms). */
export function addSliding(s: SlidingCounts, key: string, at: number, n = 1): void {
  s.watermark = Math.max(s.watermark, at);
  const oldest = oldestSlot(s, s.watermark);
  const start = slotStart(at, s.slideMs);
  if (start < oldest) {
    s.late += n;
    return;
  }
  let i = s.slots.length - 1;
  while (i >= 0 && s.slots[i][0] > start) i--;
  if (!(i >= 0 && s.slots[i][0] === start)) s.slots.splice(++i, 0, [start, {}]);
  const counts = s.slots[i][1];
  counts[key] = (counts[key] ?? 0) + n;
  while (s.slots.length && s.slots[0][0] < oldest) s.slots.shift();
}

/** The counts per key inside the window. */
export function slidingTotals(s: SlidingCounts): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [, counts] of s.slots) {
    for (const [key, n] of Object.entries(counts)) totals[key] = (totals[key] ?? 0) + n;
  }
  return totals;
}

/** The window's bounds, epoch ms, `from` inclusive and `to` exclusive; undefined before any event. */
export function slidingRange(s: SlidingCounts): { from: number; to: number } | undefined {
  if (s.watermark < 0) return undefined;
  const to = slotStart(s.watermark, s.slideMs) + s.slideMs;
  return { from: to - s.sizeMs, to };
}
