/**
 * The Kafka side of the exactly-once loop (./loop.ts): its `read_committed`
 * consumer, its transactional producer, and the fetcher that reads what the
 * group assigned, from the committed offsets, and starts over on demand.
 *
 * Why the fetch starts over with a new stream rather than seeking: the
 * library's stream reads ahead, and a fetch in flight across a rebalance or
 * an abort answers from where it was, past records not yet carried. A new
 * stream starts from the group's committed offsets; it is opened before the
 * old one is closed, since closing a consumer's last stream leaves the group.
 *
 * @example
 * ```ts
 * // const newConsumer = () => readCommittedConsumer(connection, { groupId, sessionTimeoutMs: 30_000 });
 * // const fetcher = createFetcher(newConsumer, { topics, lingerMs: 100, log, onRecords, onAssigned });
 * // await fetcher.open();
 * // const failed = await fetcher.next(signal); // records reach onRecords
 * ```
 * @module
 */
import { randomUUID } from "node:crypto";
import {
  FetchIsolationLevels,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from "@platformatic/kafka";
import type { Logger } from "../../platform/log.ts";
import {
  createConsumer,
  createProducer,
  type KafkaConsumer,
  type KafkaProducer,
} from "../client.ts";
import type { KafkaConnection } from "../connection.ts";

/**
 * How long the coordinator lets a transaction stay open before it aborts
 * it: the longest a stopped instance's open transaction can hold back the
 * partitions' next owner, whose offset fetch waits for it (KIP-447).
 */
export const TRANSACTION_TIMEOUT_MS = 10_000;

/** The consumer of an exactly-once reader: no autocommit, the rebalance timeout from the session timeout. */
export function readCommittedConsumer(
  connection: KafkaConnection,
  options: { groupId: string; sessionTimeoutMs: number },
): KafkaConsumer {
  return createConsumer(connection, {
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs,
    rebalanceTimeout: Math.max(2 * options.sessionTimeoutMs, 10_000),
    heartbeatInterval: Math.max(100, Math.floor(options.sessionTimeoutMs / 10)),
  });
}

/** A transactional producer with a transactional id of its own, `<prefix>-<random>`. */
export function transactionalProducer(connection: KafkaConnection, prefix: string): KafkaProducer {
  return createProducer(connection, {
    transactionalId: `${prefix}-${randomUUID().slice(0, 8)}`,
    idempotent: true,
    acks: -1,
    timeout: TRANSACTION_TIMEOUT_MS,
  });
}

export interface FetcherOptions {
  topics: readonly string[];
  lingerMs: number;
  log: Logger;
  /** Records as they arrive, in order per partition. */
  onRecords(messages: Message[]): void;
  /** Each new assignment, with the generation it is valid in. */
  onAssigned(generationId: number, assignment: { topic: string; partition: number }[]): void;
}

export interface Fetcher {
  /** Joins the group and starts reading; a failure here is thrown. */
  open(): Promise<void>;
  /**
   * Hands what has arrived to `onRecords`, waiting for it when nothing has
   * (until `wakeAt`, epoch ms, at the latest). Returns the error that broke
   * the fetch, if one did; then {@linkcode Fetcher.restart} it.
   */
  next(signal: AbortSignal, wakeAt?: number): Promise<unknown>;
  /** Reads again from the committed offsets; after a broken membership, as a new member. */
  restart(): Promise<void>;
  /** The consumer whose group the transactions' offsets are committed for. */
  readonly consumer: KafkaConsumer;
  /** Closes the stream and the consumer, leaving the group. */
  close(): Promise<void>;
}

/** How the library reads: from the committed offsets (the earliest where none), committed records only. */
function consumeOptions(topics: readonly string[], lingerMs: number) {
  return {
    topics: [...topics],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: false,
    maxWaitTime: lingerMs,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  };
}

/** Builds a fetcher; `newConsumer` builds its consumer, and a replacement when a membership breaks. */
export function createFetcher(newConsumer: () => KafkaConsumer, options: FetcherOptions): Fetcher {
  const { log } = options;
  let consumer = newConsumer();
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let failed: unknown;
  let membershipBroken = false;
  let wake: (() => void) | undefined;
  let restarting: Promise<void> = Promise.resolve();
  const poke = () => wake?.();

  const watch = (c: KafkaConsumer) => {
    c.on("consumer:group:join", (payload) => {
      const assignment = (payload.assignments ?? c.assignments ?? []).flatMap((a) =>
        a.partitions.map((partition) => ({ topic: a.topic, partition }))
      );
      options.onAssigned(payload.generationId ?? c.generationId, assignment);
      // The first join happens inside open(), before there is a stream.
      if (stream) void restart();
    });
    // The library's rejoin after a heartbeat refusal failed: this member is done.
    c.on("error", (err: unknown) => {
      membershipBroken = true;
      failed ??= err;
      poke();
    });
  };

  const openStream = async () => {
    const s = await consumer.consume(consumeOptions(options.topics, options.lingerMs));
    // A 'readable' listener keeps the stream fetching (the library fetches
    // only for a stream someone reads) without flowing into a handler.
    s.on("readable", poke);
    s.on("error", (err: unknown) => {
      if (s !== stream) return;
      failed ??= err;
      poke();
    });
    return s;
  };

  const closeStream = async (s: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined) => {
    if (!s) return;
    s.removeListener("readable", poke);
    await s.close().catch(() => {});
  };

  const restart = (): Promise<void> =>
    restarting = restarting.then(async () => {
      const old = stream;
      stream = undefined;
      try {
        if (membershipBroken) {
          await closeStream(old);
          await consumer.close(true).catch(() => {});
          consumer = newConsumer();
          watch(consumer);
          membershipBroken = false;
          stream = await openStream();
        } else {
          stream = await openStream();
          await closeStream(old);
        }
      } catch (err) {
        failed ??= err;
        poke();
      }
    });

  const drain = (): number => {
    const s = stream;
    if (!s) return 0;
    const batch: Message[] = [];
    for (let m = s.read(); m !== null; m = s.read()) batch.push(m);
    if (batch.length) options.onRecords(batch);
    return batch.length;
  };

  watch(consumer);
  return {
    async open() {
      stream = await openStream();
    },
    async next(signal, wakeAt) {
      await restarting;
      if (drain() > 0) return undefined;
      if (failed === undefined && !signal.aborted) {
        await new Promise<void>((resolve) => {
          const timer = wakeAt === undefined
            ? undefined
            : setTimeout(done, Math.max(0, wakeAt - Date.now()));
          signal.addEventListener("abort", done, { once: true });
          wake = done;
          function done() {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            wake = undefined;
            resolve();
          }
        });
      }
      const error = failed;
      failed = undefined;
      if (error !== undefined) {
        log.debug("fetch failed", { error });
        return error;
      }
      drain();
      return undefined;
    },
    restart,
    get consumer() {
      return consumer;
    },
    async close() {
      await restarting;
      await closeStream(stream);
      stream = undefined;
      await consumer.close().catch(() => {});
    },
  };
}
