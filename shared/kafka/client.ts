/**
 * The one place that builds @platformatic/kafka clients (producer, consumer,
 * admin) from a {@linkcode KafkaConnection}, so that every script gets the
 * same brokers, client id, TLS/SASL settings, timeouts and retries.
 *
 * Records travel as bytes (the library's default serializers): the Avro
 * codec (./avro_codec.ts) encodes and decodes them, as it always has.
 *
 * @example
 * ```ts
 * import { createProducer, clientOptions } from "./client.ts";
 * const connection = { brokers: ["127.0.0.1:9092"], clientId: "demo" };
 * const producer = createProducer(connection, { idempotent: true });
 * // await producer.send({ messages: [{ topic: "orders", key: Buffer.from("k"), value: Buffer.from("v") }] });
 * await producer.close();
 * console.log(clientOptions(connection).bootstrapBrokers);
 * ```
 * @module
 */
import { Admin, compatibilityPartitioner, SASLMechanisms } from "@platformatic/kafka";
import type {
  Consumer,
  ConsumerOptions,
  Partitioner,
  ProducerOptions,
  SASLOptions,
} from "@platformatic/kafka";
import type { ConnectionOptions as TlsOptions } from "node:tls";
import type { KafkaConnection, SaslMechanism } from "./connection.ts";
import { LeaderFollowingProducer } from "./patches/produce_leader.ts";
import { CommittedConsumer } from "./patches/committed_fetch.ts";
import { kafkaErrorTypes } from "./errors.ts";

/** A producer, consumer or admin of records as bytes; the producer with this project's repairs (./patches/). */
export type KafkaProducer = LeaderFollowingProducer;
export type KafkaConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
export type KafkaAdmin = Admin;

const MECHANISMS: Record<SaslMechanism, SASLOptions["mechanism"]> = {
  "plain": SASLMechanisms.PLAIN,
  "scram-sha-256": SASLMechanisms.SCRAM_SHA_256,
  "scram-sha-512": SASLMechanisms.SCRAM_SHA_512,
};

/** What every client takes from the connection: the library's base options. Pure. */
export function clientOptions(conn: KafkaConnection) {
  const tls: TlsOptions | undefined = typeof conn.ssl === "object"
    ? { ...conn.ssl }
    : conn.ssl
    ? {}
    : undefined;
  const sasl: SASLOptions | undefined = conn.sasl
    ? {
      mechanism: MECHANISMS[conn.sasl.mechanism],
      username: conn.sasl.username,
      password: conn.sasl.password,
    }
    : undefined;
  return {
    clientId: conn.clientId,
    bootstrapBrokers: [...conn.brokers],
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl } : {}),
    connectTimeout: conn.connectionTimeoutMs ?? 3000,
    requestTimeout: conn.requestTimeoutMs ?? 30_000,
    // Eight retries backing off from 250 ms to 4 s: about 20 s in all, longer
    // than a killed node takes to come back or its partitions' leaders to
    // move (at five retries 250 ms apart, 1.5 s, a script restarting during a
    // node kill failed its InitProducerId and JoinGroup and crash-looped).
    // Start-up checks pass fewer to fail fast: 0, 1, 2 retries take 0, 0.25, 0.75 s.
    retries: conn.retries ?? DEFAULT_RETRIES,
    retryDelay: (
      _client: unknown,
      _operation: string,
      attempt: number,
      _of: number,
      error: unknown,
    ) => retryDelayMs(attempt, error),
  };
}

/** Retries of a failed request, unless the connection says otherwise. */
export const DEFAULT_RETRIES = 8;

/**
 * The wait before retry `attempt` (1, 2, ...) of a request that failed with
 * `error`: 250 ms doubling up to 4 s; 20 ms doubling when the broker said
 * CONCURRENT_TRANSACTIONS. That answer comes to the first AddPartitionsToTxn
 * right after a commit, while the coordinator still writes the last
 * transaction's markers, a few milliseconds (as Kafka's Java producer
 * does, which retries it from 20 ms). At 250 ms it was the latency's tail:
 * 59 such stalls in one bench run, each one of them holding every record
 * of its transaction. Pure.
 */
export function retryDelayMs(attempt: number, error?: unknown): number {
  const first = kafkaErrorTypes(error).includes("CONCURRENT_TRANSACTIONS") ? 20 : 250;
  return Math.min(4000, first * 2 ** Math.max(0, attempt - 1));
}

// Distributed over a union (the consumer's classic and KIP-848 group options).
type Extra<T> = T extends unknown
  ? Omit<T, keyof ReturnType<typeof clientOptions> | "bootstrapBrokers">
  : never;

/**
 * Where a record goes when it names no partition: a key by Java's murmur2
 * (as Kafka's own clients and kafkajs place it, so a key stays on the
 * partition it always had; the library's default masks differently), a
 * record without a key round-robin.
 */
export function javaCompatiblePartitioner(): Partitioner<Buffer, Buffer, Buffer, Buffer> {
  let next = 0;
  return (message, key) => key ? compatibilityPartitioner(message, key) : next++ & 0x7fffffff;
}

/**
 * A producer; pass `transactionalId` for transactions, `idempotent` for plain
 * exactly-once sends. Its transactions are repaired (./patches/client_transactions.ts),
 * and its retries follow a partition's new leader (./patches/produce_leader.ts).
 */
export function createProducer(
  conn: KafkaConnection,
  options: Extra<ProducerOptions<Buffer, Buffer, Buffer, Buffer>> = {},
): KafkaProducer {
  return new LeaderFollowingProducer({
    ...clientOptions(conn),
    partitioner: javaCompatiblePartitioner(),
    ...options,
  });
}

/**
 * The transactional producer of `transactionalId`, its id initialised:
 * that fences an older producer of the same id and aborts its open
 * transaction. For the scripts with one fixed id (the aggregator, a DLQ's
 * replays); `timeoutMs` is the transaction's timeout.
 */
export async function openTransactionalProducer(
  conn: KafkaConnection,
  transactionalId: string,
  timeoutMs = 60_000,
): Promise<KafkaProducer> {
  const producer = createProducer(conn, {
    transactionalId,
    idempotent: true,
    acks: -1,
    timeout: timeoutMs,
  });
  try {
    await producer.initIdempotentProducer({});
  } catch (err) {
    await producer.close(true).catch(() => {});
    throw err;
  }
  return producer;
}

/**
 * The most one fetch may carry (one partition of it too), unless a consumer
 * says otherwise. At the library's 50 MB the router took 120k records in one
 * fetch and queued them all while the stream buffered the next; draining
 * 1,000,000 orders the scripts peaked at up to 1,432 MB. At 4 MB: 281-559 MB,
 * routing as fast, the data consumers no slower; the aggregator folds at
 * about half its rate (28k orders/s, still four times the pipeline's), and
 * 1 MB cost the router throughput (BENCHMARKS.md, 2026-12-03).
 */
export const FETCH_MAX_BYTES = 4 * 1024 * 1024;

/**
 * A consumer in group `groupId`; how it reads is given to `consume()`. It is
 * a {@linkcode CommittedConsumer}: read_committed (the library's default)
 * by Kafka's rule, which the library's own filter breaks in three cases
 * (./patches/committed_fetch.ts), and its committed offsets wait for open
 * transactions (./patches/stable_offsets.ts; how long: its `stableOffsets`).
 */
export function createConsumer(
  conn: KafkaConnection,
  options: Extra<ConsumerOptions<Buffer, Buffer, Buffer, Buffer>>,
): CommittedConsumer {
  return new CommittedConsumer({ ...clientOptions(conn), maxBytes: FETCH_MAX_BYTES, ...options });
}

/** An admin client. */
export function createAdmin(conn: KafkaConnection): KafkaAdmin {
  return new Admin(clientOptions(conn));
}
