/**
 * The tests' own Kafka I/O: how a test writes its inputs and how it reads
 * what the scripts committed.
 *
 * - Writes go through the library every script uses (@platformatic/kafka,
 *   by shared/kafka/client.ts), since what a test writes is its input, not
 *   its evidence.
 * - Reads are the evidence, so they share no code with the product's Kafka
 *   layer: Kafka's own Java consumer with `isolation.level=read_committed`
 *   (scripts/verify/CommittedReader.java, the audit's reader). A bug in the
 *   product's read_committed repair cannot hide itself from a test.
 *
 * @example
 * ```ts ignore
 * import { produceMessages, readAllCommitted } from "./test_kafka.ts";
 * import { testKafka } from "./harness.ts";
 * const kafka = testKafka();
 * await produceMessages(kafka, "t", [{ key: "k", value: "v" }]);
 * const records = await readAllCommitted(kafka, "t"); // [{ key: <Buffer 6b>, ... }]
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import {
  createProducer,
  type KafkaProducer,
  openTransactionalProducer,
} from "../shared/kafka/client.ts";
import type { KafkaConnection } from "../shared/kafka/connection.ts";
import { createCommittedReader } from "../shared/verify/committed_reader.ts";
import { provisionKafka } from "../shared/dev/broker/local_kafka.ts";
import { testLogger, uniqueName, waitFor } from "./harness.ts";

/** Where a test's own clients connect, and how Kafka's Java consumer does. */
export interface TestKafka {
  connection: KafkaConnection;
  /** Java client properties (TLS, SASL) for the reader on a secured cluster. */
  readerProperties?: string;
}

/** A record as a test writes it: text or bytes. */
export interface TestMessage {
  key?: string | Uint8Array | null;
  value: string | Uint8Array | null;
  partition?: number;
  headers?: Record<string, string | Uint8Array>;
}

/** A committed record as Kafka's Java consumer read it. */
export interface TestRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

const bytes = (v: string | Uint8Array) => typeof v === "string" ? Buffer.from(v) : Buffer.from(v);

/** `messages` for `topic` as the library sends them. Pure. */
export function toProduce(topic: string, messages: readonly TestMessage[]) {
  return messages.map((m) => ({
    topic,
    ...(m.key == null ? {} : { key: bytes(m.key) }),
    ...(m.value == null ? {} : { value: bytes(m.value) }),
    ...(m.partition === undefined ? {} : { partition: m.partition }),
    ...(m.headers
      ? {
        headers: new Map(
          Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), bytes(v)] as const),
        ),
      }
      : {}),
  }));
}

/**
 * Produces `messages` to `topic` with an idempotent producer, 500 at a
 * time, acknowledged by every in-sync replica.
 */
export async function produceMessages(
  kafka: TestKafka,
  topic: string,
  messages: readonly TestMessage[],
): Promise<void> {
  const producer = createProducer(kafka.connection, { idempotent: true, acks: -1 });
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ messages: toProduce(topic, messages.slice(i, i + 500)) });
    }
  } finally {
    await producer.close();
  }
}

/**
 * A transactional producer, its id `name` made unique and initialised;
 * `producer.beginTransaction()` opens a transaction. Close it after.
 */
export function transactionalProducer(kafka: TestKafka, name: string): Promise<KafkaProducer> {
  return openTransactionalProducer(kafka.connection, uniqueName(name));
}

/**
 * Kafka's jars for the Java reader: the runner's (`KAFKA_TOOLS_CLASSPATH`),
 * else fetched once into `.cache/`.
 */
export async function kafkaToolsClasspath(): Promise<string> {
  return Deno.env.get("KAFKA_TOOLS_CLASSPATH") ??
    (await provisionKafka({ log: testLogger("kafka") })).classpath;
}

/**
 * A reader of `topic`'s committed records from its beginning: each call
 * returns what was committed since the last one.
 */
export async function committedRecords(
  kafka: TestKafka,
  topic: string,
): Promise<() => Promise<TestRecord[]>> {
  const reader = createCommittedReader({
    classpath: await kafkaToolsClasspath(),
    brokers: kafka.connection.brokers,
    topics: [topic],
    properties: kafka.readerProperties,
  });
  return async () =>
    (await reader.readMore()).map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: r.key && Buffer.from(r.key),
      value: r.value && Buffer.from(r.value),
      headers: Object.fromEntries(r.headers.map((h) => [h.key, Buffer.from(h.value ?? [])])),
    }));
}

const END_HEADER = "test-end-of-topic";

/**
 * Every committed record of `topic`, completely, in offset order per
 * partition: it first appends a marker to each partition, then reads with
 * Kafka's Java consumer until it has passed every marker, so whatever was
 * committed before the call is there, also behind a transaction still open
 * then (the read waits for it to end). Once per time it is in the topic:
 * duplicates are not hidden. The markers are left out of the result but stay
 * in the topic, and a compacted topic refuses them (they have no key): read
 * those with {@linkcode committedRecords}.
 */
export async function readAllCommitted(
  kafka: TestKafka,
  topic: string,
  { timeoutMs = 60_000 } = {},
): Promise<TestRecord[]> {
  const producer = createProducer(kafka.connection, { idempotent: true, acks: -1 });
  let partitions: number;
  try {
    const metadata = await producer.metadata({ topics: [topic] });
    partitions = metadata.topics.get(topic)!.partitionsCount;
    await producer.send({
      messages: toProduce(
        topic,
        Array.from({ length: partitions }, (_, partition) => ({
          partition,
          value: "end",
          headers: { [END_HEADER]: "1" },
        })),
      ),
    });
  } finally {
    await producer.close();
  }
  const readMore = await committedRecords(kafka, topic);
  const got: TestRecord[] = [];
  const ended = new Set<number>();
  await waitFor(`the end of ${topic}`, async () => {
    for (const r of await readMore()) {
      if (r.headers[END_HEADER]) ended.add(r.partition);
      else got.push(r);
    }
    return ended.size === partitions;
  }, { timeoutMs, intervalMs: 200 });
  return got;
}

/** At least the first `count` committed records of `topic`, read within `timeoutMs`. */
export async function consumeRecords(
  kafka: TestKafka,
  topic: string,
  count: number,
  { timeoutMs = 30_000 } = {},
): Promise<TestRecord[]> {
  const readMore = await committedRecords(kafka, topic);
  const got: TestRecord[] = [];
  await waitFor(`${count} records of ${topic}`, async () => {
    got.push(...await readMore());
    return got.length >= count;
  }, { timeoutMs, intervalMs: 200 });
  return got;
}
