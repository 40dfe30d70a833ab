/**
 * Reading the aggregator's last committed state back from `order_stats`.
 *
 * The topic is compacted, has one partition, and is written only in the
 * aggregator's transactions. To know it has read *everything* committed, the
 * reader first commits a marker with a fresh id (through the aggregator's own
 * transactional producer, whose `connect()` has already ended any transaction
 * a crashed predecessor left open), then reads with read_committed until the
 * marker comes by: the last `state` record before it is the latest state.
 *
 * @example
 * ```ts
 * // const text = await readLatestState({ kafka, producer, topic: "order_stats", groupPrefix: "order-aggregator", log });
 * // const state = text === undefined ? emptyState() : decodeState(text);
 * ```
 * @module
 */
import type { Kafka, Producer } from "kafkajs";
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
  kafka: Kafka;
  /** Connected, transactional. */
  producer: Producer;
  topic: string;
  /** The reader's consumer group is `<groupPrefix>-restore-<random>`, used once. */
  groupPrefix: string;
  log: Logger;
  timeoutMs?: number;
}

/** The latest committed state's text, or undefined when there is none. */
export async function readLatestState(options: RestoreOptions): Promise<string | undefined> {
  const { kafka, producer, topic, log } = options;
  const marker = crypto.randomUUID();
  const tx = await producer.transaction();
  try {
    await tx.send({ topic, acks: -1, messages: [{ key: STATS_KEYS.marker, value: marker }] });
    await tx.commit();
  } catch (err) {
    await tx.abort().catch(() => {});
    throw err;
  }
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix}-restore-${crypto.randomUUID().slice(0, 8)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  let latest: string | undefined;
  let records = 0;
  let found!: () => void;
  const done = new Promise<void>((resolve) => (found = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        records++;
        const key = message.key?.toString();
        if (key === STATS_KEYS.state && message.value) latest = message.value.toString();
        if (key === STATS_KEYS.marker && message.value?.toString() === marker) found();
        return Promise.resolve();
      },
    });
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no end of ${topic} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  log.info("read the last committed state", {
    topic,
    recordsRead: records,
    found: latest !== undefined,
    bytes: latest?.length ?? 0,
  });
  return latest;
}
