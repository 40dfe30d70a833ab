/**
 * The top entries of a tally: highest score first, ties broken by the key, so
 * the same tally always gives the same list (the tests compare it exactly).
 *
 * @example
 * ```ts
 * import { topN } from "./top_n.ts";
 * topN({ "SKU-2": 5, "SKU-1": 5, "SKU-3": 9 }, 2); // [["SKU-3", 9], ["SKU-1", 5]]
 * ```
 * @module
 */

/** The `n` entries with the highest value (then the smallest key), best first. */
export function topN(
  tally: Record<string, number> | Iterable<[string, number]>,
  n: number,
): [string, number][] {
  const entries = Symbol.iterator in tally
    ? [...(tally as Iterable<[string, number]>)]
    : Object.entries(tally);
  return entries
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, Math.max(0, n));
}

/** Like {@linkcode topN} for records, scored by `score`. */
export function topBy<T>(
  items: Record<string, T>,
  n: number,
  score: (item: T) => number,
): [string, T][] {
  return topN(Object.entries(items).map(([k, v]): [string, number] => [k, score(v)]), n)
    .map(([k]) => [k, items[k]]);
}
