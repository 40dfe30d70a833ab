/**
 * Reading the aggregator's last committed state back from `order_stats`.
 *
 * The topic is compacted, has one partition, and is written only in the
 * aggregator's transactions. To know it has read *everything* committed, the
 * reader first commits a marker with a fresh id (through the aggregator's own
 * transactional producer, whose initialisation has already ended any
 * transaction a crashed predecessor left open), then reads with read_committed until the
 * marker comes by: the last `state` record before it is the latest state.
 *
 * @example
 * ```ts
 * // const text = await readLatestState({ connection, producer, topic: "order_stats", groupPrefix: "order-aggregator", log });
 * // const state = text === undefined ? emptyState() : decodeState(text);
 * ```
 * @module
 */
import {
  FetchIsolationLevels,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from "@platformatic/kafka";
import { Buffer } from "node:buffer";
import { createConsumer, type KafkaProducer } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import type { Logger } from "../platform/log.ts";

/** Record keys of `order_stats`. */
export const STATS_KEYS = {
  /** The whole state with its offsets (state.ts), for restarts. */
  state: "state",
  /** The dashboard's snapshot (snapshot.ts). */
  snapshot: "snapshot",
  /** Written at each start to find the end of the committed data. */
  marker: "restore-marker",
} as const;

export interface RestoreOptions {
  connection: KafkaConnection;
  /** Transactional, its id initialised. */
  producer: KafkaProducer;
  topic: string;
  /** The reader's consumer group is `<groupPrefix>-restore-<random>`, used once. */
  groupPrefix: string;
  log: Logger;
  timeoutMs?: number;
}

/** The latest committed state's text, or undefined when there is none. */
export async function readLatestState(options: RestoreOptions): Promise<string | undefined> {
  const { connection, producer, topic, log } = options;
  const marker = crypto.randomUUID();
  const tx = await producer.beginTransaction();
  try {
    await tx.send({
      messages: [{ topic, key: Buffer.from(STATS_KEYS.marker), value: Buffer.from(marker) }],
    });
    await tx.commit();
  } catch (err) {
    await tx.abort().catch(() => {});
    throw err;
  }
  const consumer = createConsumer(connection, {
    groupId: `${options.groupPrefix}-restore-${crypto.randomUUID().slice(0, 8)}`,
  });
  let latest: string | undefined;
  let records = 0;
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no end of ${topic} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  timedOut.catch(() => {}); // raced below
  try {
    const stream = await Promise.race([
      consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.EARLIEST,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
        maxWaitTime: 100,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      }),
      timedOut,
    ]);
    try {
      const found = new Promise<void>((resolve, reject) => {
        stream.on("data", (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
          records++;
          const key = message.key?.toString();
          if (key === STATS_KEYS.state && message.value?.length) {
            latest = message.value.toString();
          }
          if (key === STATS_KEYS.marker && message.value?.toString() === marker) resolve();
        });
        stream.on("error", reject);
      });
      await Promise.race([found, timedOut]);
    } finally {
      await stream.close().catch(() => {});
    }
  } finally {
    clearTimeout(timer);
    await consumer.close(true).catch(() => {});
  }
  log.info("read the last committed state", {
    topic,
    recordsRead: records,
    found: latest !== undefined,
    bytes: latest?.length ?? 0,
  });
  return latest;
}
