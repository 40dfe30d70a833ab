/**
 * A producer whose transactions speak to the coordinator as a client, as
 * Kafka's Java producer does; @platformatic/kafka 2.12.1 differs twice:
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
import {
  addPartitionsToTxnV3,
  type API,
  type Callback,
  type CallbackWithPromise,
  kGetApi,
  kListApis,
  kOptions,
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
}
