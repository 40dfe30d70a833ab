/**
 * Knowing when a topic has been read "fully": the high watermark of each
 * partition is noted at start (the mark), and a partition is done once the
 * consumer has gone past `mark - 1`. Records that arrive later are not
 * waited for (and are left out, so a busy DLQ cannot keep a read going).
 *
 * A transactional topic ends with control markers (COMMIT/ABORT), which
 * occupy offsets but are never handed to the application, so "the last
 * record I saw is at mark - 1" may never become true. The position is
 * therefore taken from kafkajs' batch events (`consumer.events.END_BATCH_PROCESS`),
 * whose `lastOffset` counts control records, and which kafkajs also emits
 * for a fetch that held nothing but markers or aborted records.
 *
 * @example
 * ```ts
 * import { EndTracker } from "./read_end.ts";
 * const end = new EndTracker([{ topic: "t", partition: 0, low: 0, high: 3 }]);
 * end.observe("t", 0, "1");
 * end.done; // false
 * end.observe("t", 0, "2"); // offset 2 was a COMMIT marker: still done
 * end.done; // true
 * ```
 * @module
 */

/** One partition's readable range at start: `[low, high)`. */
export interface PartitionMark {
  topic: string;
  partition: number;
  low: number;
  high: number;
}

/** Tracks, per partition, whether the consumer has reached its mark. */
export class EndTracker {
  readonly #pending = new Map<string, { mark: PartitionMark; position: number }>();

  constructor(marks: Iterable<PartitionMark>) {
    for (const mark of marks) {
      // An empty partition (or one whose records retention removed) is done already.
      if (mark.high > mark.low) {
        this.#pending.set(`${mark.topic}\u0000${mark.partition}`, { mark, position: mark.low });
      }
    }
  }

  /** Whether every partition reached its mark. */
  get done(): boolean {
    return this.#pending.size === 0;
  }

  /**
   * Whether a record at `offset` belongs to the read: before its
   * partition's mark. (Of a partition already done, nothing more does.)
   */
  includes(topic: string, partition: number, offset: string): boolean {
    const p = this.#pending.get(`${topic}\u0000${partition}`);
    return p !== undefined && Number(offset) < p.mark.high;
  }

  /**
   * Notes that the consumer has read `partition` up to `lastOffset`
   * (inclusive). Returns true when that made the partition done.
   */
  observe(topic: string, partition: number, lastOffset: string): boolean {
    const id = `${topic}\u0000${partition}`;
    const p = this.#pending.get(id);
    if (!p) return false;
    p.position = Math.max(p.position, Number(lastOffset) + 1);
    if (p.position < p.mark.high) return false;
    this.#pending.delete(id);
    return true;
  }

  /** The partitions not done yet, with how far each got: for a timeout's message. */
  remaining(): { topic: string; partition: number; position: number; mark: number }[] {
    return [...this.#pending.values()].map((p) => ({
      topic: p.mark.topic,
      partition: p.mark.partition,
      position: p.position,
      mark: p.mark.high,
    }));
  }
}
