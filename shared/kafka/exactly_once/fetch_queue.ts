/**
 * What the exactly-once loop (./loop.ts) has fetched and not yet carried,
 * per partition, in order: the pure part of the loop.
 *
 * - A record of a partition the instance does not own, or fetched under a
 *   generation other than the current one, is dropped: its offset could
 *   only be committed by a fenced transaction.
 * - A record below the next offset expected for its partition is dropped:
 *   it was delivered again (a fetch that raced a restart).
 * - On a retry topic a record runs only once it is due; its partition is
 *   held, in order, until then ({@linkcode FetchQueue.take} says when).
 *
 * @example
 * ```ts
 * import { createFetchQueue } from "./fetch_queue.ts";
 * const q = createFetchQueue<string>({ dueAt: () => 0 });
 * q.assign(1, [{ topic: "t", partition: 0 }]);
 * q.push([{ topic: "t", partition: 0, offset: 0n, generationId: 1, message: "a" }]);
 * q.take(10, Date.now()).chunks[0].messages; // ["a"]
 * ```
 * @module
 */

/** One fetched record, with where it came from and the generation it was fetched under. */
export interface FetchedRecord<M> {
  topic: string;
  partition: number;
  offset: bigint;
  generationId: number;
  message: M;
}

/** The due records of one partition, in order. */
export interface PartitionChunk<M> {
  topic: string;
  partition: number;
  records: FetchedRecord<M>[];
  messages: M[];
}

export interface FetchQueue<M> {
  /** A new assignment under `generationId`: what no longer belongs to it is dropped. */
  assign(generationId: number, partitions: readonly { topic: string; partition: number }[]): void;
  /** Adds fetched records; returns how many were dropped. */
  push(records: readonly FetchedRecord<M>[]): number;
  /**
   * Takes at most `limit` due records, whole partitions' runs in order. `nextDueAt`
   * is when the first held record is due (epoch ms), if one is held.
   */
  take(limit: number, now: number): { chunks: PartitionChunk<M>[]; nextDueAt?: number };
  /** Forgets every queued record and position: the fetch starts again from the committed offsets. */
  clear(): void;
  /** Records queued, due or not. */
  readonly size: number;
  /** The generation records must carry. */
  readonly generationId: number;
}

const idOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** `dueAt` says from when a record may run (epoch ms; 0 for at once). */
export function createFetchQueue<M>(options: { dueAt: (message: M) => number }): FetchQueue<M> {
  let generation = -1;
  let owned = new Set<string>();
  let queued = new Map<string, FetchedRecord<M>[]>();
  let expected = new Map<string, bigint>();
  let size = 0;
  return {
    assign(generationId, partitions) {
      generation = generationId;
      owned = new Set(partitions.map((p) => idOf(p.topic, p.partition)));
      // Records fetched under the last generation may not be carried under this one.
      queued = new Map();
      expected = new Map();
      size = 0;
    },
    push(records) {
      let dropped = 0;
      for (const r of records) {
        const id = idOf(r.topic, r.partition);
        const next = expected.get(id);
        if (
          r.generationId !== generation || !owned.has(id) || (next !== undefined && r.offset < next)
        ) {
          dropped++;
          continue;
        }
        expected.set(id, r.offset + 1n);
        let list = queued.get(id);
        if (!list) queued.set(id, list = []);
        list.push(r);
        size++;
      }
      return dropped;
    },
    take(limit, now) {
      const chunks: PartitionChunk<M>[] = [];
      let nextDueAt: number | undefined;
      let room = limit;
      for (const [id, list] of queued) {
        if (room <= 0) break;
        let n = 0;
        while (n < list.length && n < room) {
          const at = options.dueAt(list[n].message);
          if (at > now) {
            nextDueAt = Math.min(nextDueAt ?? at, at);
            break;
          }
          n++;
        }
        if (n === 0) continue;
        const records = list.splice(0, n);
        if (list.length === 0) queued.delete(id);
        size -= n;
        room -= n;
        chunks.push({
          topic: records[0].topic,
          partition: records[0].partition,
          records,
          messages: records.map((r) => r.message),
        });
      }
      // A held partition the limit kept from being looked at still has its due time.
      for (const list of queued.values()) {
        const at = options.dueAt(list[0].message);
        if (at > now) nextDueAt = Math.min(nextDueAt ?? at, at);
      }
      return { chunks, nextDueAt };
    },
    clear() {
      queued = new Map();
      expected = new Map();
      size = 0;
    },
    get size() {
      return size;
    },
    get generationId() {
      return generation;
    },
  };
}
