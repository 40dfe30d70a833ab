/**
 * The schema registry's durable store: a compacted, single-partition Kafka
 * topic (`_schemas` by default), read to its end on start to rebuild the
 * state and appended to (acks=all, awaited) before any write is answered.
 *
 * One registry writes to a topic at a time (Confluent elects a leader for
 * this; we assume it): the in-memory state is the log as this process wrote
 * it, so a second writer on the same topic would hand out clashing ids. Any
 * number of registries may be started one after the other on a topic, and
 * each rebuilds every id, version, config and deletion from it.
 *
 * @example
 * ```ts
 * import { KafkaSchemaStore } from "./kafka_store.ts";
 * import { RegistryState } from "./state.ts";
 * import { createKafka } from "../kafka/kafkajs_client.ts";
 * import { createLogger } from "../platform/log.ts";
 * const log = createLogger({ name: "schema-registry" });
 * const kafka = createKafka({ brokers: ["127.0.0.1:9092"], clientId: "schema-registry" }, log);
 * const store = await KafkaSchemaStore.open({ kafka, topic: "_schemas", log });
 * const state = new RegistryState();
 * state.reset(await store.readAll());
 * await store.close();
 * ```
 * @module
 */
import { type Admin, type Kafka, Partitioners, type Producer } from "kafkajs";
import { ensureTopics, renamed, TOPICS } from "../kafka/topics.ts";
import { type Logger, silentLogger } from "../platform/log.ts";
import {
  decodeRecord,
  encodeRecord,
  type LogRecord,
  MalformedRecordError,
  type RegistryState,
} from "./state.ts";
import type { SchemaJournal } from "./http.ts";

export interface KafkaSchemaStoreOptions {
  kafka: Kafka;
  /** The registry's topic; created compacted with one partition when missing. */
  topic: string;
  log?: Logger;
  /** How long reading the topic to its end may take before start-up fails. */
  loadTimeoutMs?: number;
}

/** The registry's log on a Kafka topic; see the module doc. */
export class KafkaSchemaStore implements SchemaJournal {
  readonly topic: string;
  #kafka: Kafka;
  #admin: Admin;
  #producer: Producer;
  #log: Logger;
  #loadTimeoutMs: number;
  /** Set when an append failed: whether it was stored is unknown until the log is re-read. */
  #stale = false;

  private constructor(options: KafkaSchemaStoreOptions, admin: Admin, producer: Producer) {
    this.topic = options.topic;
    this.#kafka = options.kafka;
    this.#admin = admin;
    this.#producer = producer;
    this.#log = options.log ?? silentLogger;
    this.#loadTimeoutMs = options.loadTimeoutMs ?? 60_000;
  }

  /**
   * Connects, creates the topic when missing and checks that it has exactly
   * one partition (the log's order is the registry's history).
   */
  static async open(options: KafkaSchemaStoreOptions): Promise<KafkaSchemaStore> {
    const { kafka, topic } = options;
    const admin = kafka.admin();
    // No idempotent producer: it retries forever when the broker is gone, and
    // a record written twice is harmless here, since each one carries the
    // whole value of its key. One request in flight keeps the records in order.
    // Every record names partition 0; naming a partitioner only silences
    // kafkajs' warning about its default one.
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await admin.connect();
      await ensureTopics(admin, [renamed(TOPICS.schemas, topic)], options.log);
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      if (meta.partitions.length !== 1) {
        throw new Error(
          `topic ${topic} has ${meta.partitions.length} partitions; the schema registry needs ` +
            `exactly one, so that its records keep their order`,
        );
      }
      await producer.connect();
    } catch (err) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      throw err;
    }
    return new KafkaSchemaStore(options, admin, producer);
  }

  /** Reads the topic from its start to the end it had when called. */
  async readAll(): Promise<LogRecord[]> {
    const [end] = await this.#admin.fetchTopicOffsets(this.topic);
    const high = BigInt(end.high);
    if (high <= BigInt(end.low)) return [];
    const records: LogRecord[] = [];
    // A throwaway group that never commits: the log is always read whole.
    const consumer = this.#kafka.consumer({
      groupId: `schema-registry-loader-${crypto.randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
    });
    let caughtUp!: () => void;
    let failed!: (err: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      caughtUp = resolve;
      failed = reject;
    });
    done.catch(() => {}); // awaited below; a failure before then is not unhandled
    // The batch event also fires for batches of control records only, which
    // never reach eachMessage, so the end is seen even when they come last.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (BigInt(payload.lastOffset) + 1n >= high) caughtUp();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => failed(payload.error));
    const timer = setTimeout(
      () =>
        failed(new Error(`reading ${this.topic} to its end took over ${this.#loadTimeoutMs} ms`)),
      this.#loadTimeoutMs,
    );
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: ({ message }) => {
          if (BigInt(message.offset) >= high) return Promise.resolve();
          const key = message.key?.toString("utf8");
          if (key === undefined) return Promise.resolve();
          try {
            const record = decodeRecord(key, message.value?.toString("utf8") ?? null);
            if (record) records.push(record);
          } catch (err) {
            if (!(err instanceof MalformedRecordError)) throw err;
            this.#log.warn("skipping a record the registry cannot read", {
              topic: this.topic,
              offset: message.offset,
              error: err.message,
            });
          }
          return Promise.resolve();
        },
      });
      await done;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect();
    }
    this.#log.info("schema log loaded", { topic: this.topic, records: records.length });
    return records;
  }

  /** Re-reads the log into `state` after a failed append; nothing to do otherwise. */
  async sync(state: RegistryState): Promise<void> {
    if (!this.#stale) return;
    state.reset(await this.readAll());
    this.#stale = false;
    this.#log.warn("state reloaded from the log after a failed write", { topic: this.topic });
  }

  /** Writes records in order, acknowledged by all in-sync replicas. */
  async append(records: readonly LogRecord[]): Promise<void> {
    try {
      await this.#producer.send({
        topic: this.topic,
        acks: -1,
        messages: records.map((record) => ({ ...encodeRecord(record), partition: 0 })),
      });
    } catch (err) {
      this.#stale = true;
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
  }
}
