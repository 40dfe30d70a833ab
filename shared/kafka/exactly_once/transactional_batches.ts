/**
 * The eachBatch handler of the consume-transform-produce loop
 * (./kafka/exactly_once/loop.ts): one partition at a time, the
 * ownership guard's skip after a crash, only what is due on a retry topic,
 * chunks of at most `transactionSize` records each carried by one Kafka
 * transaction with its consumed offset, and the retry partition paused until
 * its next record is due. What a chunk becomes is the loop's own business
 * ({@link ChunkWork}); how it travels is decided once, here.
 *
 * @example
 * ```ts
 * // await consumer.run({
 * //   autoCommit: false,
 * //   eachBatchAutoResolve: false,
 * //   eachBatch: transactionalBatches({ producers, guard, retry, groupId, transactionSize: 500, work }),
 * // });
 * ```
 * @module
 */
import {
  type Admin,
  type EachBatchPayload,
  type KafkaMessage,
  type Message,
  Partitioners,
  type Transaction,
} from "kafkajs";
import type { TopicMessages } from "kafkajs";
import type { OwnershipGuard } from "./ownership_guard.ts";
import type { ProducerPool } from "./producer_pool.ts";
import type { ConsumedRecord } from "../../retry/envelope.ts";
import type { RetryStage } from "../../retry/retry_stage.ts";

/** One chunk of one partition's batch. */
export interface Chunk {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  firstOffset: number;
  lastOffset: string;
  /** The offset committed with the chunk's transaction. */
  nextOffset: number;
  /** `performance.now()` when the chunk's work began. */
  startedAt: number;
}

/** A consumed message with where it came from, as a retry hand-off needs it. */
export function consumedRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
): ConsumedRecord {
  const { offset, key, value, headers } = message;
  return { topic, partition, offset, key, value, headers };
}

/** What a loop does with a chunk, around the transaction this module runs. */
export interface ChunkWork<T> {
  /** The records the chunk's transaction carries, and whatever `committed` needs. */
  prepare(chunk: Chunk): Promise<{ topicMessages: TopicMessages[]; result: T }>;
  /** After the commit: totals and metrics. */
  committed(chunk: Chunk, result: T): void;
  /** The transaction failed and was aborted; the chunk will be consumed again. */
  aborted?(chunk: Chunk, err: unknown): void;
}

export interface TransactionalBatchesOptions<T> {
  producers: ProducerPool;
  guard: OwnershipGuard;
  retry: RetryStage;
  groupId: string;
  /** Most records per transaction (a chunk). */
  transactionSize: number;
  work: ChunkWork<T>;
  /** How many partitions a topic has (see {@linkcode partitionCounts}). */
  partitionsOf: (topic: string) => Promise<number>;
}

/** Partition counts from `admin`, each topic asked again after `maxAgeMs` (partitions may be added). */
export function partitionCounts(
  admin: Admin,
  maxAgeMs = 60_000,
): (topic: string) => Promise<number> {
  const known = new Map<string, { count: Promise<number>; at: number }>();
  return (topic) => {
    const cached = known.get(topic);
    if (cached && Date.now() - cached.at < maxAgeMs) return cached.count;
    const count = admin.fetchTopicMetadata({ topics: [topic] })
      .then((m) => m.topics[0].partitions.length);
    count.catch(() => known.delete(topic));
    known.set(topic, { count, at: Date.now() });
    return count;
  };
}

/**
 * Sends a transaction's records with one request per target partition, in
 * parallel, each partition placed as kafkajs' default partitioner would.
 *
 * Why not one `sendBatch`: kafkajs 2.2.4 retries a multi-partition send by
 * broker, not by partition. When a node dies mid-send, a partition whose
 * records the dying leader had already acknowledged can move to a broker
 * that has not answered yet; the retry then sends those records again, under
 * new sequence numbers, and the transaction commits them twice. The chaos
 * test (tests/cluster/chaos_test.ts) found exactly that, read back by Kafka's
 * own consumer. With one partition per request a retry only repeats its own
 * records, with their sequence numbers, and the broker drops the repeat.
 */
export async function sendByPartition(
  tx: Pick<Transaction, "send">,
  topicMessages: readonly TopicMessages[],
  partitionsOf: (topic: string) => Promise<number>,
): Promise<void> {
  const byPartition = new Map<string, { topic: string; partition: number; messages: Message[] }>();
  for (const { topic, messages } of topicMessages) {
    const count = await partitionsOf(topic);
    const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [],
      isr: [],
      partitionErrorCode: 0,
    }));
    for (const message of messages) {
      const partition = PARTITIONER({ topic, partitionMetadata, message });
      const id = `${topic}\u0000${partition}`;
      let entry = byPartition.get(id);
      if (!entry) byPartition.set(id, entry = { topic, partition, messages: [] });
      entry.messages.push({ ...message, partition });
    }
  }
  // Every send settles before the caller may abort: no request is left in flight behind it.
  const sent = await Promise.allSettled(
    [...byPartition.values()].map(({ topic, messages }) => tx.send({ topic, messages, acks: -1 })),
  );
  const failed = sent.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** kafkajs' own default partitioner (murmur2 of the key, as Java's), so keys land where they always did. */
const PARTITIONER = Partitioners.DefaultPartitioner();

/**
 * Runs `step` again while the broker answers CONCURRENT_TRANSACTIONS: right
 * after a commit, the coordinator refuses the next transaction's first
 * request until the last one's markers are written (milliseconds). kafkajs
 * retries that for AddPartitionsToTxn (a send) but not for AddOffsetsToTxn,
 * the first request of a transaction that carries offsets only (a chunk this
 * route skipped entirely). Anything else, or too many refusals, is thrown.
 */
export async function whileConcurrent<T>(
  step: () => Promise<T>,
  options: { attempts?: number; delayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1;; attempt++) {
    try {
      return await step();
    } catch (err) {
      const refused = (err as { type?: string }).type === "CONCURRENT_TRANSACTIONS";
      if (!refused || attempt >= attempts) throw err;
      // 10, 20, 40 ... ms: about 2.5 s in all.
      await new Promise((r) => setTimeout(r, (options.delayMs ?? 10) * 2 ** (attempt - 1)));
    }
  }
}

/** Builds the eachBatch handler (run with autoCommit and eachBatchAutoResolve off). */
export function transactionalBatches<T>(
  options: TransactionalBatchesOptions<T>,
): (payload: EachBatchPayload) => Promise<void> {
  const { producers, guard, retry, work } = options;
  return ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }) =>
    producers.exclusive(batch.topic, batch.partition, async () => {
      const { topic, partition } = batch;
      const producer = await producers.get(topic, partition);
      // After a crash the group may hand out an offset from before the last
      // owner's final transaction; what that transaction covered is skipped.
      const fresh = await guard.fresh(topic, partition, batch.messages);
      if (fresh.length === 0 && batch.messages.length > 0) {
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await heartbeat();
        return;
      }
      // On a retry topic, only what is due runs; the rest waits, paused.
      const { due, holdUntil } = retry.due(fresh);
      for (let i = 0; i < due.length; i += options.transactionSize) {
        if (!isRunning() || isStale()) return;
        const messages = due.slice(i, i + options.transactionSize);
        const lastOffset = messages[messages.length - 1].offset;
        const chunk: Chunk = {
          topic,
          partition,
          messages,
          firstOffset: Number(messages[0].offset),
          lastOffset,
          nextOffset: Number(BigInt(lastOffset) + 1n),
          startedAt: performance.now(),
        };
        const { topicMessages, result } = await work.prepare(chunk);
        const tx = await producer.transaction();
        try {
          if (topicMessages.length) await sendByPartition(tx, topicMessages, options.partitionsOf);
          await whileConcurrent(() =>
            tx.sendOffsets({
              consumerGroupId: options.groupId,
              topics: [{ topic, partitions: [{ partition, offset: String(chunk.nextOffset) }] }],
            })
          );
          await tx.commit();
          guard.committed(topic, partition, chunk.nextOffset);
        } catch (err) {
          work.aborted?.(chunk, err);
          await tx.abort().catch(() => {});
          // A fenced or broken producer is replaced on the next attempt.
          await producers.drop(topic, partition);
          guard.forget(topic, partition);
          throw err;
        }
        resolveOffset(lastOffset);
        work.committed(chunk, result);
        await heartbeat();
      }
      if (holdUntil !== undefined && isRunning() && !isStale()) {
        retry.hold(pause, holdUntil, topic, partition);
      }
    });
}
