/**
 * The replayer's I/O on Kafka and the registry: reading topics to their
 * end (read_committed), the transactional producer of a DLQ's replays,
 * sending one batch of replays with their ledger entries in one
 * transaction, and decoding Avro values through the registry. The
 * decisions (what is the end, what to send, which records) are in the pure
 * modules beside it; this is covered by tests/dlq_replayer_test.ts on a
 * real broker.
 *
 * @example
 * ```ts
 * import { readToEnd } from "./io.ts";
 * // await readToEnd(kafka, { topics: ["orders-dlq"], onMessage: (t, p, m) => {}, log });
 * ```
 * @module
 */
import type { Kafka, KafkaMessage, Message, Producer } from "kafkajs";
import { registryClient, wireDecoder } from "../kafka/avro_codec.ts";
import { describeRegistryFailure, type RegistryConnection } from "../kafka/registry_connection.ts";
import type { Logger } from "../platform/log.ts";
import type { DlqEntry } from "./entry.ts";
import {
  type LedgerEntry,
  ledgerEntry,
  ledgerTopicName,
  type ReplayMessage,
  replayMessage,
} from "./ledger.ts";
import { EndTracker, type PartitionMark } from "./read_end.ts";

/** A read that stopped making progress before it reached the end it noted. */
export class ReadIncompleteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReadIncompleteError";
  }
}

/** The `[low, high)` range of every partition of `topics`, right now. */
export async function partitionMarks(kafka: Kafka, topics: string[]): Promise<PartitionMark[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const marks: PartitionMark[] = [];
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        marks.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
      }
    }
    return marks;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads every committed record of `topics` that is there when it starts,
 * from the beginning, in a consumer group of its own that never commits
 * (kafkajs has no manual assignment; an empty group without offsets is
 * dropped by the broker). Stops when each partition reached the high
 * watermark noted at start (see read_end.ts for why control markers do
 * not make that hang). An open transaction on a topic makes the read wait
 * until it is decided, as read_committed must.
 *
 * Fallback: if no fetch progresses for `idleTimeoutMs`, the read fails
 * with a {@linkcode ReadIncompleteError} naming the partitions short of
 * their mark, rather than returning a partial read (a partial ledger would
 * replay records twice). Resolves `{ interrupted: true }` when `signal`
 * aborts first.
 */
export async function readToEnd(kafka: Kafka, options: {
  topics: string[];
  onMessage: (topic: string, partition: number, message: KafkaMessage) => void;
  log: Logger;
  groupPrefix?: string;
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}): Promise<{ interrupted: boolean; records: number }> {
  const end = new EndTracker(await partitionMarks(kafka, options.topics));
  if (end.done) return { interrupted: false, records: 0 };
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const groupId = `${options.groupPrefix ?? "dlq-replayer-read"}-${crypto.randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
  let records = 0;
  let lastProgress = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const finished = new Promise<boolean>((resolve, reject) => {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        lastProgress = Date.now();
        end.observe(payload.topic, payload.partition, payload.lastOffset);
        if (end.done) resolve(false);
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart) {
          options.log.warn("reader restarts after an error", { error: payload.error });
        } else reject(payload.error);
      });
      timer = setInterval(() => {
        if (Date.now() - lastProgress < idleTimeoutMs) return;
        const short = end.remaining().map((r) =>
          `${r.topic}/${r.partition} at ${r.position} of ${r.mark}`
        );
        reject(
          new ReadIncompleteError(
            `no progress reading ${options.topics.join(", ")} for ${idleTimeoutMs / 1000} s ` +
              `(short of the end: ${short.join("; ")}); is a transaction on it left open?`,
          ),
        );
      }, Math.min(1000, idleTimeoutMs));
      onAbort = () => resolve(true);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.signal?.aborted) resolve(true);
    });
    await consumer.connect();
    for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: true });
    lastProgress = Date.now();
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        for (const message of batch.messages) {
          if (!end.includes(batch.topic, batch.partition, message.offset)) continue;
          records++;
          options.onMessage(batch.topic, batch.partition, message);
        }
        return Promise.resolve();
      },
    });
    return { interrupted: await finished, records };
  } finally {
    clearInterval(timer);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
    await consumer.disconnect().catch(() => {});
  }
}

/**
 * The connected transactional producer of `transactionalId`. Connecting
 * initialises the id, which fences an older producer of the same id and
 * aborts its open transaction: do it before reading the ledger.
 */
export async function openReplayProducer(kafka: Kafka, transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 60_000,
  });
  await producer.connect();
  return producer;
}

function bytes(v: Uint8Array | null): Buffer | null {
  return v === null ? null : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Sends replayed records and their ledger entries in one transaction:
 * all of them are committed, or (on any error, which is rethrown) none.
 */
export async function sendReplayBatch(
  producer: Producer,
  replays: readonly ReplayMessage[],
  ledgerTopic: string,
  ledger: readonly LedgerEntry[],
): Promise<void> {
  const byTopic = new Map<string, Message[]>();
  for (const r of replays) {
    const list = byTopic.get(r.topic) ?? [];
    list.push({ key: bytes(r.key), value: bytes(r.value), headers: r.headers });
    byTopic.set(r.topic, list);
  }
  const transaction = await producer.transaction();
  try {
    await transaction.sendBatch({
      acks: -1,
      topicMessages: [
        ...[...byTopic].map(([topic, messages]) => ({ topic, messages })),
        { topic: ledgerTopic, messages: ledger.map((e) => ({ key: e.key, value: e.value })) },
      ],
    });
    await transaction.commit();
  } catch (err) {
    await transaction.abort().catch(() => {});
    throw err;
  }
}

/** Decodes Confluent-framed Avro values through the registry `conn` names; never throws. */
export function avroDecoder(
  conn: RegistryConnection,
): (value: Uint8Array) => Promise<{ decoded: unknown } | { error: string }> {
  const decode = wireDecoder(registryClient(conn));
  return async (value) => {
    try {
      return { decoded: await decode(value) };
    } catch (err) {
      return {
        error: describeRegistryFailure(conn, err)?.message ??
          `registry ${conn.url}: ${(err as Error).message}`,
      };
    }
  };
}

/**
 * Replays `entries` of `dlqTopic` in one transaction with their ledger
 * entries (see {@link sendReplayBatch}); returns the replayed messages.
 * The one way the replayer and the dashboard replay.
 */
export async function replayEntries(
  producer: Producer,
  dlqTopic: string,
  entries: readonly DlqEntry[],
  at: Date = new Date(),
): Promise<ReplayMessage[]> {
  const messages = entries.map((e) => replayMessage(dlqTopic, e, at)!);
  const ledger = entries.map((e, i) => ledgerEntry(e.partition, e.offset, messages[i].topic, at));
  await sendReplayBatch(producer, messages, ledgerTopicName(dlqTopic), ledger);
  return messages;
}
