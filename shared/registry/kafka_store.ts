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
 * import { createLogger } from "../platform/log.ts";
 * const log = createLogger({ name: "schema-registry" });
 * const connection = { brokers: ["127.0.0.1:9092"], clientId: "schema-registry" };
 * const store = await KafkaSchemaStore.open({ connection, topic: "_schemas", log });
 * const state = new RegistryState();
 * state.reset(await store.readAll());
 * await store.close();
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { partitionCount } from "../kafka/admin.ts";
import { createAdmin, createProducer, type KafkaProducer } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { readToEnd } from "../kafka/read_to_end.ts";
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
  connection: KafkaConnection;
  /** The registry's topic; created compacted with one partition when missing. */
  topic: string;
  log?: Logger;
  /** How long reading the topic to its end may go without progress before start-up fails. */
  loadTimeoutMs?: number;
}

/** The registry's log on a Kafka topic; see the module doc. */
export class KafkaSchemaStore implements SchemaJournal {
  readonly topic: string;
  #connection: KafkaConnection;
  #producer: KafkaProducer;
  #log: Logger;
  #loadTimeoutMs: number;
  /** Set when an append failed: whether it was stored is unknown until the log is re-read. */
  #stale = false;

  private constructor(options: KafkaSchemaStoreOptions, producer: KafkaProducer) {
    this.topic = options.topic;
    this.#connection = options.connection;
    this.#producer = producer;
    this.#log = options.log ?? silentLogger;
    this.#loadTimeoutMs = options.loadTimeoutMs ?? 60_000;
  }

  /**
   * Connects, creates the topic when missing and checks that it has exactly
   * one partition (the log's order is the registry's history).
   */
  static async open(options: KafkaSchemaStoreOptions): Promise<KafkaSchemaStore> {
    const { connection, topic } = options;
    const admin = createAdmin(connection);
    // No idempotent producer: a record written twice is harmless here, since
    // each one carries the whole value of its key. One request in flight
    // keeps the records in order.
    const producer = createProducer(connection, { maxInflights: 1 });
    try {
      await ensureTopics(admin, [renamed(TOPICS.schemas, topic)], options.log);
      const partitions = await partitionCount(admin, topic);
      if (partitions !== 1) {
        throw new Error(
          `topic ${topic} has ${partitions} partitions; the schema registry needs ` +
            `exactly one, so that its records keep their order`,
        );
      }
      // Connects now, so that a broker refusing the producer fails the start.
      await producer.metadata({ topics: [topic] });
    } catch (err) {
      await Promise.allSettled([producer.close(), admin.close()]);
      throw err;
    }
    await admin.close();
    return new KafkaSchemaStore(options, producer);
  }

  /** Reads the topic from its start to the end it had when called. */
  async readAll(): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    await readToEnd(this.#connection, {
      topics: [this.topic],
      // A throwaway group that never commits: the log is always read whole.
      groupId: `schema-registry-loader-${crypto.randomUUID()}`,
      idleTimeoutMs: this.#loadTimeoutMs,
      onRecord: (message) => {
        const key = message.key?.toString("utf8");
        if (!key) return;
        try {
          // The library hands a null value (a tombstone) over as undefined.
          const value = message.value == null ? null : message.value.toString("utf8");
          const record = decodeRecord(key, value);
          if (record) records.push(record);
        } catch (err) {
          if (!(err instanceof MalformedRecordError)) throw err;
          this.#log.warn("skipping a record the registry cannot read", {
            topic: this.topic,
            offset: String(message.offset),
            error: err.message,
          });
        }
      },
    });
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
        messages: records.map((record) => {
          const { key, value } = encodeRecord(record);
          return {
            topic: this.topic,
            partition: 0,
            key: Buffer.from(key),
            // No value is Kafka's null, a tombstone.
            ...(value === null ? {} : { value: Buffer.from(value) }),
          };
        }),
      });
    } catch (err) {
      this.#stale = true;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#producer.close().catch(() => {});
  }
}
