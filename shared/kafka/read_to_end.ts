/**
 * Reading topics whole: every partition from its first kept record to the
 * read_committed end it had when the read began. The schema registry
 * rebuilds its state this way from `_schemas`, and the DLQ replayer and the
 * dashboard read dead letters and ledgers so. Records that arrive during
 * the read are not waited for (a busy topic cannot keep a read going).
 *
 * The end is judged from the consumer's fetch position, not from the last
 * record handed over: a transactional topic ends in COMMIT/ABORT markers,
 * which take offsets but are never delivered, so "the last record I saw is
 * at end - 1" may never come true. The library's stream moves its position
 * past a fetched batch, markers included, before it hands out the batch's
 * records.
 *
 * The read joins a throwaway group (`groupId`; on a secured cluster the
 * principal needs READ on it) and never commits. An open transaction holds
 * the end back until it is decided, as read_committed must; a read that
 * goes `idleTimeoutMs` without a fetch moving it on fails with a
 * {@linkcode ReadIncompleteError} rather than return a part.
 *
 * @example
 * ```ts
 * import { readToEnd } from "./read_to_end.ts";
 * const connection = { brokers: ["127.0.0.1:9092"], clientId: "loader" };
 * const keys: string[] = [];
 * // const { interrupted, records } = await readToEnd(connection, {
 * //   topics: ["_schemas"],
 * //   groupId: `loader-${crypto.randomUUID()}`,
 * //   idleTimeoutMs: 60_000,
 * //   onRecord: (message) => keys.push(message.key.toString()),
 * // });
 * console.log(keys.length);
 * ```
 * @module
 */
import {
  FetchIsolationLevels,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from "@platformatic/kafka";
import type { Buffer } from "node:buffer";
import { createAdmin, createConsumer } from "./client.ts";
import type { KafkaConnection } from "./connection.ts";
import { topicOffsets } from "./admin.ts";

/** A read that stopped making progress before it reached the end it noted. */
export class ReadIncompleteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReadIncompleteError";
  }
}

export interface ReadToEndOptions {
  topics: readonly string[];
  /** A group of this read alone; nothing is committed to it. */
  groupId: string;
  /** How long the read may go without a fetch moving it on (the group's join included). */
  idleTimeoutMs: number;
  /** Ends the read early: it resolves `interrupted`. */
  signal?: AbortSignal;
  /** Called for each record before the end, in each partition's order. */
  onRecord(message: Message<Buffer, Buffer, Buffer, Buffer>): void;
}

export interface ReadToEndResult {
  /** The signal ended the read before the end: what was handed over is a part. */
  interrupted: boolean;
  /** How many records went to `onRecord`. */
  records: number;
}

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;
const key = (topic: string, partition: number) => `${topic}:${partition}`;

/** Each partition with records to read and its end, keyed as the library's stream keys them. */
async function endsOf(connection: KafkaConnection, topics: readonly string[]) {
  const admin = createAdmin(connection);
  try {
    const ends = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await topicOffsets(admin, topic)) {
        if (p.high > p.low) ends.set(key(topic, p.partition), BigInt(p.high));
      }
    }
    return ends;
  } finally {
    await admin.close().catch(() => {});
  }
}

/**
 * Reads `topics` to the ends they had at the call. Throws a
 * {@linkcode ReadIncompleteError} when it stops moving, or what Kafka failed it with.
 */
export async function readToEnd(
  connection: KafkaConnection,
  options: ReadToEndOptions,
): Promise<ReadToEndResult> {
  const ends = await endsOf(connection, options.topics);
  if (ends.size === 0) return { interrupted: false, records: 0 };
  if (options.signal?.aborted) return { interrupted: true, records: 0 };
  const pending = new Map(ends);
  const consumer = createConsumer(connection, { groupId: options.groupId });
  let records = 0;
  let stream: Stream | undefined;
  let lastProgress = Date.now();
  let stop!: (interrupted: boolean) => void;
  let fail!: (err: unknown) => void;
  const ended = new Promise<boolean>((resolve, reject) => {
    stop = resolve;
    fail = reject;
  });
  const idle = setInterval(() => {
    if (Date.now() - lastProgress < options.idleTimeoutMs) return;
    const short = [...pending].map(([k, end]) =>
      `${k} at ${stream?.offsetsToFetch.get(k) ?? "?"} of ${end}`
    );
    fail(
      new ReadIncompleteError(
        `no progress reading ${options.topics.join(", ")} for ${options.idleTimeoutMs / 1000} s ` +
          `(short of the end: ${short.join("; ")}); is a transaction on it left open?`,
      ),
    );
  }, Math.min(1000, options.idleTimeoutMs));
  const onAbort = () => stop(true);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const consuming = consumer.consume({
      topics: [...options.topics],
      mode: MessagesStreamModes.EARLIEST,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      maxWaitTime: 200,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    consuming.catch(fail);
    const started = await Promise.race([consuming, ended]);
    if (started === true) return { interrupted: true, records };
    const s = stream = started as Stream;
    const seen = new Map<string, bigint>();
    const reached = () => {
      for (const [k, end] of pending) {
        const position = s.offsetsToFetch.get(k) ?? -1n;
        if (position !== seen.get(k)) {
          seen.set(k, position);
          lastProgress = Date.now();
        }
        if (position >= end) pending.delete(k);
      }
      // Done once no fetched record still waits in the stream's buffer.
      if (pending.size === 0 && s.readableLength === 0) stop(false);
    };
    s.on("data", (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      const end = ends.get(key(message.topic, message.partition));
      if (end !== undefined && message.offset < end) {
        try {
          options.onRecord(message);
        } catch (err) {
          fail(err);
          return;
        }
        records++;
      }
      reached();
    });
    // Emitted as a fetch's answer arrives, before its records are handed
    // out: looked at once they have been, for a fetch of markers only.
    s.on("fetch", () => queueMicrotask(reached));
    s.on("error", fail);
    lastProgress = Date.now();
    reached();
    return { interrupted: await ended, records };
  } finally {
    clearInterval(idle);
    options.signal?.removeEventListener("abort", onAbort);
    await stream?.close().catch(() => {});
    await consumer.close(true).catch(() => {});
  }
}
