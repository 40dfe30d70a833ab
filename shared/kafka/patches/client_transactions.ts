/**
 * A producer whose transactions speak to the coordinator as a client, as
 * Kafka's Java producer does; @platformatic/kafka 2.12.1 differs three times:
 *
 * - **AddPartitionsToTxn at most v3.** The library asks for the highest
 *   version the broker offers, v5; v4 and up are the brokers' own batched
 *   form (KIP-890), which the broker authorizes as ClusterAction on the
 *   cluster. A client granted Write on its topic and transactional id, and
 *   nothing on the cluster, is refused with CLUSTER_AUTHORIZATION_FAILED at
 *   its first transactional send. v3 takes the same arguments.
 * - **InitProducerId with producer id -1 and epoch -1.** The library sends
 *   0 and 0 unless told otherwise. The coordinator reads a given id and
 *   epoch as "I am that producer, bump my epoch" (KIP-360), so when the
 *   transactional id was used before by a producer it does not match, and
 *   a new process reusing a transactional id is refused with
 *   PRODUCER_FENCED (INVALID_PRODUCER_EPOCH on older brokers) instead of
 *   fencing the old producer and aborting its open transaction.
 * - **One TxnOffsetCommit per partition.** `Transaction#addOffset` commits
 *   one record's partition per request (and runs concurrent calls as one,
 *   so only one partition's offset is committed). A transaction over six
 *   partitions paid six round trips to the group coordinator, 48 of its 92
 *   ms at 1,000 orders/s in the bench. {@linkcode
 *   TransactionsProducer.commitOffsets} sends every partition's offset in
 *   one request, as the Java producer's `sendOffsetsToTransaction` does.
 *
 * @example
 * ```ts
 * import { TransactionsProducer } from "./client_transactions.ts";
 * const producer = new TransactionsProducer({
 *   clientId: "demo",
 *   bootstrapBrokers: ["127.0.0.1:9092"],
 *   transactionalId: "router-1",
 *   idempotent: true,
 * });
 * // const tx = await producer.beginTransaction();
 * // await tx.send({ messages: [{ topic: "out", value: Buffer.from("v") }] });
 * // await tx.commit();
 * await producer.close();
 * ```
 * @module
 */
import type { Buffer } from "node:buffer";
import {
  addPartitionsToTxnV3,
  type API,
  type Callback,
  type CallbackWithPromise,
  type ClusterMetadata,
  type Connection,
  kGetApi,
  kGetConnection,
  kListApis,
  kMetadata,
  kOptions,
  kPerformWithRetry,
  type Message,
  type ProduceOptions,
  Producer,
  type ProducerInfo,
  type ProducerOptions,
} from "@platformatic/kafka";
import { requirePatchedPlatformatic } from "./platformatic_version.ts";

/** The highest AddPartitionsToTxn version a client sends; v4 and up are broker-to-broker. */
export const CLIENT_ADD_PARTITIONS_MAX_VERSION = 3;

/** InitProducerId's "no producer yet": the coordinator assigns one, or fences the last. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;

/**
 * Whether to send AddPartitionsToTxn v3 instead of `picked`, the version
 * the library chose from the broker's `range`: only when the library chose
 * above v3 and the broker takes v3. Pure.
 */
export function useClientAddPartitions(
  picked: number,
  range: { minVersion: number; maxVersion: number } | undefined,
): boolean {
  return picked > CLIENT_ADD_PARTITIONS_MAX_VERSION && range !== undefined &&
    range.minVersion <= CLIENT_ADD_PARTITIONS_MAX_VERSION &&
    range.maxVersion >= CLIENT_ADD_PARTITIONS_MAX_VERSION;
}

/**
 * The producer id and epoch InitProducerId sends: what the call or the
 * producer's options name, else -1 and -1 (never the library's 0 and 0). Pure.
 */
export function initProducerIdentity(
  call: { producerId?: bigint; producerEpoch?: number },
  configured: { producerId?: bigint; producerEpoch?: number },
): { producerId: bigint; producerEpoch: number } {
  return {
    producerId: call.producerId ?? configured.producerId ?? NO_PRODUCER_ID,
    producerEpoch: call.producerEpoch ?? configured.producerEpoch ?? NO_PRODUCER_EPOCH,
  };
}

/** What TxnOffsetCommit takes of each topic: the offset to read next, per partition. */
export interface TxnOffsetTopic {
  name: string;
  partitions: {
    partitionIndex: number;
    committedOffset: bigint;
    committedLeaderEpoch: number;
    committedMetadata: null;
  }[];
}

/**
 * One TxnOffsetCommit's topics for `messages`, the last consumed record of
 * each partition: each partition past its record, with the leader epoch
 * `leaderEpoch` gives (-1 when unknown). Throws when the records were not
 * consumed under one group generation and member, which one request cannot
 * carry. Pure.
 */
export function txnOffsetTopics(
  messages: readonly Pick<
    Message<Buffer, Buffer, Buffer, Buffer>,
    "topic" | "partition" | "offset" | "metadata"
  >[],
  leaderEpoch: (topic: string, partition: number) => number | undefined,
): TxnOffsetTopic[] {
  const member = (m: (typeof messages)[number]) => {
    const c = m.metadata?.consumer as {
      groupId?: string;
      generationId?: number;
      memberId?: string;
    };
    return `${c?.groupId}/${c?.generationId}/${c?.memberId}`;
  };
  const topics = new Map<string, TxnOffsetTopic>();
  for (const m of messages) {
    if (member(m) !== member(messages[0])) {
      throw new RangeError(
        `offsets of two group members in one commit: ${member(messages[0])}, ${member(m)}`,
      );
    }
    let topic = topics.get(m.topic);
    if (!topic) topics.set(m.topic, topic = { name: m.topic, partitions: [] });
    topic.partitions.push({
      partitionIndex: m.partition,
      committedOffset: m.offset + 1n,
      committedLeaderEpoch: leaderEpoch(m.topic, m.partition) ?? -1,
      committedMetadata: null,
    });
  }
  return [...topics.values()];
}

/** One API of the broker's ApiVersions answer. */
interface BrokerApi {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
}

type BytesProduceOptions = ProduceOptions<Buffer, Buffer, Buffer, Buffer>;

/**
 * A producer of bytes with the two fixes above; everything else, and its
 * constructor, is the library's.
 */
export class TransactionsProducer extends Producer<Buffer, Buffer, Buffer, Buffer> {
  /** The broker's API versions, as the library read them for its own version choice. */
  #brokerApis: BrokerApi[] | undefined;

  constructor(options: ProducerOptions<Buffer, Buffer, Buffer, Buffer>) {
    requirePatchedPlatformatic("client_transactions.ts");
    super(options);
  }

  override [kListApis](callback: CallbackWithPromise<BrokerApi[]>): void {
    super[kListApis]((error, apis) => {
      if (!error) this.#brokerApis = apis;
      callback(error, apis);
    });
  }

  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(
    name: string,
    callback: Callback<API<RequestArguments, ResponseType>>,
  ): void {
    if (name !== "AddPartitionsToTxn") return super[kGetApi](name, callback);
    super[kGetApi]<RequestArguments, ResponseType>(name, (error, api) => {
      if (error || !api) return callback(error);
      const range = this.#brokerApis?.find((a) => a.name === name);
      callback(
        null,
        useClientAddPartitions(api.version, range)
          ? addPartitionsToTxnV3.api as unknown as API<RequestArguments, ResponseType>
          : api,
      );
    });
  }

  override initIdempotentProducer(
    options: BytesProduceOptions,
    callback: CallbackWithPromise<ProducerInfo>,
  ): void;
  override initIdempotentProducer(options: BytesProduceOptions): Promise<ProducerInfo>;
  override initIdempotentProducer(
    options: BytesProduceOptions,
    callback?: CallbackWithPromise<ProducerInfo>,
  ): Promise<ProducerInfo> | void {
    // Every path to InitProducerId goes through here: beginTransaction, the
    // first idempotent send, and the recovery after UNKNOWN_PRODUCER_ID.
    const configured = this[kOptions] as { producerId?: bigint; producerEpoch?: number };
    const withIdentity = { ...options, ...initProducerIdentity(options, configured) };
    return callback
      ? super.initIdempotentProducer(withIdentity, callback)
      : super.initIdempotentProducer(withIdentity);
  }

  /**
   * Commits the group past `messages` (the last record of each partition,
   * as consumed) in the open transaction, in one TxnOffsetCommit to the
   * group's coordinator, retried as the library retries its own. Call it
   * after `transaction.addConsumer(consumer)`, once per transaction.
   */
  commitOffsets(messages: readonly Message<Buffer, Buffer, Buffer, Buffer>[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const transaction = this.transaction;
    if (!transaction || transaction.completed) {
      return Promise.reject(new Error("commitOffsets needs an open transaction"));
    }
    try {
      // Checked before the request: the library would retry a wrong call as if it were the broker's.
      txnOffsetTopics(messages, () => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
    const { groupId, generationId, memberId, coordinatorId } = messages[0].metadata
      .consumer as {
        groupId: string;
        generationId: number;
        memberId: string;
        coordinatorId: number;
      };
    const topicNames = [...new Set(messages.map((m) => m.topic))];
    type TxnOffsetCommit = (
      connection: Connection,
      transactionalId: string,
      groupId: string,
      producerId: bigint,
      producerEpoch: number,
      generationId: number,
      memberId: string,
      groupInstanceId: null,
      topics: TxnOffsetTopic[],
      callback: Callback<unknown>,
    ) => void;
    return new Promise<void>((resolve, reject) => {
      this[kPerformWithRetry]<void>("commitOffsets", (retry: Callback<void>) => {
        this[kMetadata]({ topics: topicNames }, (error, metadata?: ClusterMetadata) => {
          if (error || !metadata) return retry(error ?? new Error("no metadata"));
          const topics = txnOffsetTopics(
            messages,
            (t, p) => metadata.topics.get(t)?.partitions[p]?.leaderEpoch,
          );
          this[kGetConnection](metadata.brokers.get(coordinatorId)!, (error, connection) => {
            if (error || !connection) return retry(error ?? new Error("no connection"));
            this[kGetApi]("TxnOffsetCommit", (error, api) => {
              if (error || !api) return retry(error ?? new Error("no TxnOffsetCommit API"));
              (api as unknown as TxnOffsetCommit)(
                connection,
                transaction.id,
                groupId,
                this.producerId!,
                this.producerEpoch!,
                generationId,
                memberId,
                null,
                topics,
                (error) => retry(error ?? null),
              );
            });
          });
        });
      }, (error) => error ? reject(error) : resolve());
    });
  }
}
