/**
 * The intake's batching: callers' parts wait up to `lingerMs` for others
 * to join them, then go out in batches of at most `maxBatch` messages and
 * `maxBatchBytes` bytes (a part larger than that goes in a batch of its
 * own, whole: a part is never split). A full queue goes out at once. The
 * queue keeps each batch's send in flight until it settles, so that whoever
 * closes or replaces the producer can wait for them.
 *
 * @example
 * ```ts
 * import { splitBatches } from "./linger_queue.ts";
 * const part = (n: number) => ({ messages: Array(n).fill("m"), bytes: n });
 * splitBatches([part(3), part(3), part(3)], { maxBatch: 6, maxBatchBytes: 100 }).length; // 2
 * ```
 * @module
 */

/** One caller's part of a batch: its messages and their size in bytes. */
export interface BatchPart {
  readonly messages: readonly unknown[];
  readonly bytes: number;
}

/** The most one batch holds, unless a single part is larger. */
export interface BatchLimits {
  maxBatch: number;
  maxBatchBytes: number;
}

/** `parts` in order, cut into batches within `limits`; a part never splits. Pure. */
export function splitBatches<T extends BatchPart>(parts: readonly T[], limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [], count = 0, bytes = 0;
  for (const next of parts) {
    const fits = count + next.messages.length <= limits.maxBatch &&
      bytes + next.bytes <= limits.maxBatchBytes;
    if (batch.length > 0 && !fits) {
      batches.push(batch);
      batch = [], count = 0, bytes = 0;
    }
    batch.push(next);
    count += next.messages.length;
    bytes += next.bytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The number of messages in `parts`. Pure. */
export function messageCount(parts: readonly BatchPart[]): number {
  return parts.reduce((n, p) => n + p.messages.length, 0);
}

export interface LingerQueueOptions<T extends BatchPart> extends BatchLimits {
  /** How long a part waits for others to join its batch, ms. */
  lingerMs: number;
  /** Sends one batch of `count` messages; settles when it is done with it. */
  send(batch: T[], count: number): Promise<void>;
}

/** A queue of parts that go out in batches. */
export interface LingerQueue<T extends BatchPart> {
  /** Queues `part`: out at once when the queue is full, else within `lingerMs`. */
  push(part: T): void;
  /** Sends everything queued now. */
  flush(): void;
  /** Settles once every batch in flight right now has settled. */
  settled(): Promise<unknown>;
}

/** Creates a {@linkcode LingerQueue} that hands its batches to `options.send`. */
export function createLingerQueue<T extends BatchPart>(
  options: LingerQueueOptions<T>,
): LingerQueue<T> {
  const { lingerMs, maxBatch, maxBatchBytes, send } = options;
  let queue: T[] = [];
  let queuedCount = 0;
  let queuedBytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const inFlight = new Set<Promise<void>>();

  function flush() {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batches = splitBatches(queue, { maxBatch, maxBatchBytes });
    queue = [];
    queuedCount = 0;
    queuedBytes = 0;
    for (const batch of batches) {
      const done = send(batch, messageCount(batch)).finally(() => inFlight.delete(done));
      inFlight.add(done);
    }
  }

  return {
    push(part) {
      queue.push(part);
      queuedCount += part.messages.length;
      queuedBytes += part.bytes;
      if (queuedCount >= maxBatch || queuedBytes >= maxBatchBytes) {
        flush();
      } else if (timer === undefined) {
        timer = setTimeout(flush, lingerMs);
      }
    },
    flush,
    settled: () => Promise.allSettled([...inFlight]),
  };
}
