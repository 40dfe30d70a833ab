/**
 * A bounded memory of recently seen ids, to count a republished event once.
 *
 * The consumers republish a status event with the same `eventId` after a
 * crash, seconds after the first copy; remembering the newest `capacity` ids
 * catches those without letting the state grow with the stream.
 * (shared/order_status/order_status_view.ts dedupes too, but keeps every event of every
 * order, which the aggregator's persisted state cannot afford.)
 *
 * @example
 * ```ts
 * import { RecentIds } from "./recent_ids.ts";
 * const seen = new RecentIds(2);
 * seen.add("a"); // true: new
 * seen.add("a"); // false: a repeat
 * seen.add("b"); seen.add("c"); // "a" is forgotten
 * seen.toJSON(); // ["b", "c"]
 * ```
 * @module
 */

export class RecentIds {
  // A Set iterates in insertion order: its first entry is the oldest.
  readonly #ids = new Set<string>();

  constructor(readonly capacity: number, ids: Iterable<string> = []) {
    if (!(capacity >= 1 && Number.isInteger(capacity))) {
      throw new RangeError(`capacity must be a whole number of 1 or more, got ${capacity}`);
    }
    for (const id of ids) this.add(id);
  }

  /** Remembers `id`; false when it was already remembered. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) this.#ids.delete(this.#ids.values().next().value!);
    return true;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  get size(): number {
    return this.#ids.size;
  }

  /** The ids, oldest first: what the persisted state stores. */
  toJSON(): string[] {
    return [...this.#ids];
  }
}
