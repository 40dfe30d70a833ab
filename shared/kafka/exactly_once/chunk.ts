/**
 * The seam between the exactly-once loop (./loop.ts) and what a script does
 * with what it consumes: a {@linkcode Chunk} is the due records of one
 * partition in one fetch, and a script's {@linkcode ChunkWork} says what the
 * chunk becomes (the records its transaction carries). How chunks travel,
 * in which transaction, with which offsets, is decided once, in the loop.
 *
 * @example
 * ```ts
 * import type { ChunkWork } from "./chunk.ts";
 * const copy: ChunkWork<number> = {
 *   prepare: (chunk) =>
 *     Promise.resolve({ topicMessages: [{ topic: "out", messages: chunk.messages.map((m) => ({ value: m.value })) }], result: chunk.messages.length }),
 *   committed: () => {},
 * };
 * ```
 * @module
 */
import type { ConsumedMessage, TopicMessages } from "../records.ts";
import type { ConsumedRecord } from "../../retry/envelope.ts";

/** The due records of one partition in one fetch. */
export interface Chunk {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  firstOffset: number;
  lastOffset: string;
  /** The offset committed with the chunk's transaction. */
  nextOffset: number;
  /** `performance.now()` when the chunk's work began. */
  startedAt: number;
}

/** A consumed message with where it came from, as a retry hand-off needs it. Pure. */
export function consumedRecord(
  topic: string,
  partition: number,
  message: ConsumedMessage,
): ConsumedRecord {
  const { offset, key, value, headers } = message;
  return { topic, partition, offset, key, value, headers };
}

/** What a loop does with a chunk, around the transaction the loop runs. */
export interface ChunkWork<T> {
  /** The records the chunk's transaction carries, and whatever `committed` needs. */
  prepare(chunk: Chunk): Promise<{ topicMessages: TopicMessages[]; result: T }>;
  /** After the commit: totals and metrics. */
  committed(chunk: Chunk, result: T): void;
}
