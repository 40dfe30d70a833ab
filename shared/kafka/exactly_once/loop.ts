/**
 * The one consume-transform-produce loop, exactly once: both routing
 * producers and both data consumers run it, each with its own
 * {@linkcode ChunkWork} (what a chunk of consumed records becomes).
 *
 * How it stays exactly once, the KIP-447 way:
 * - a `read_committed` consumer group over the sources and their retry
 *   topics, offsets never auto-committed;
 * - one transactional producer per instance (`<prefix>-<random>`);
 * - each fetch's due records, for every partition the instance owns, go in
 *   one transaction (at most `transactionSize` records) with their offsets,
 *   sent with the group generation and member id they were fetched under.
 *   When the group has moved on, the broker refuses those offsets
 *   (ILLEGAL_GENERATION) and the transaction is aborted: a zombie is fenced
 *   by the group coordinator itself, with no guard of our own;
 * - while one transaction is in flight, the next chunks are prepared (a
 *   data consumer's database batch overlaps the Kafka round trips); they
 *   are committed after it, in order, and dropped if it failed;
 * - what is fetched goes through ./fetch_queue.ts, which drops records of
 *   other generations and partitions, and holds retry records until due;
 * - after every rebalance, and after a failed transaction (aborted, its
 *   producer replaced), the fetch starts again from the committed offsets:
 *   a new stream is opened before the old one is closed, so the instance
 *   keeps its membership;
 * - the stop: the open transaction finishes (commits or aborts), then the
 *   stream, the consumer (leaving the group) and the producer are closed. A
 *   fatal error (a missing ACL, a refused login) ends the run the same way
 *   and is thrown.
 *
 * @example
 * ```ts
 * // await runExactlyOnceLoop({
 * //   connection, log, metrics: routerLoopMetrics(registry), sourceTopics: ["orders"], retry,
 * //   groupId: "inventory-router", transactionalIdPrefix: "inventory-router",
 * //   settings: { transactionSize: 1000, lingerMs: 100, concurrency: 32, sessionTimeoutMs: 30_000, progressIntervalS: 10 },
 * //   totals, work: { prepare, committed },
 * // }, shutdown.signal);
 * ```
 * @module
 */
import type { Message } from "@platformatic/kafka";
import type { Logger } from "../../platform/log.ts";
import type { Counter, Gauge } from "../../platform/metrics.ts";
import { startProgressLines } from "../../platform/progress_lines.ts";
import type { RetryStage } from "../../retry/retry_stage.ts";
import { dueAt } from "../../retry/envelope.ts";
import type { KafkaConnection } from "../connection.ts";
import { isFatalKafkaError } from "../errors.ts";
import { type ConsumedMessage, consumedMessage, messagesToProduce } from "../records.ts";
import type { Chunk, ChunkWork } from "./chunk.ts";
import { createFetchQueue, type PartitionChunk } from "./fetch_queue.ts";
import {
  createFetcher,
  readCommittedConsumer,
  transactionalProducer,
} from "./fetch_transaction.ts";

/** The seam: what a script's chunk becomes is its own {@linkcode ChunkWork}. */
export type { Chunk, ChunkWork };

/** The loop's knobs, one name each, as both kinds of script take them. */
export interface LoopSettings {
  /** Most records consumed per transaction. */
  transactionSize: number;
  /** How long the broker may hold a fetch to fill a batch (the linger). */
  lingerMs: number;
  /** Partitions' chunks prepared at once. */
  concurrency: number;
  /** How long the group waits for a silent member before rebalancing. */
  sessionTimeoutMs: number;
  /** Seconds between progress lines; 0 = none. */
  progressIntervalS: number;
}

/**
 * The loop's metrics. Each script registers them with their names spelled
 * out (`router_transactions_total`, `consumer_transactions_total`, ...), so a
 * metric on a dashboard can be found in the code by its name.
 */
export interface LoopMetrics {
  /** Kafka transactions, by `result` (commit, abort). */
  transactions: Counter;
  /** Consumer group joins. */
  rebalances: Counter;
  /** Input partitions owned. */
  assignedPartitions: Gauge;
}

/** The totals the loop keeps itself; a script's own totals extend them. */
export interface LoopTotals {
  consumed: number;
  transactions: number;
  aborts: number;
}

export interface ExactlyOnceLoopOptions<T> {
  connection: KafkaConnection;
  log: Logger;
  /** What the loop counts, registered by the script under its own names. */
  metrics: LoopMetrics;
  /** The topics consumed besides `retry.retryTopics`. */
  sourceTopics: readonly string[];
  retry: RetryStage;
  groupId: string;
  /** The transactional id is `<prefix>-<random>`, new for each producer. */
  transactionalIdPrefix: string;
  settings: LoopSettings;
  /** Updated by the loop; said in progress lines with what `work` adds to it. */
  totals: LoopTotals;
  work: ChunkWork<T>;
}

/** What the queue holds: the record as the product reads it, and the library's, for its offset. */
interface Queued {
  consumed: ConsumedMessage;
  source: Message;
}

/** Failed restarts in a row before the run gives up (about five minutes of backoff). */
const MAX_RESTARTS = 30;

/** Runs the loop until `signal` aborts or a fatal error (then throws that). */
export async function runExactlyOnceLoop<T>(
  options: ExactlyOnceLoopOptions<T>,
  signal: AbortSignal,
): Promise<void> {
  const { connection, log, metrics: m, retry, settings, totals, work } = options;
  const queue = createFetchQueue<Queued>({ dueAt: (q) => dueAt(q.consumed.headers) });
  let producer = transactionalProducer(connection, options.transactionalIdPrefix);
  const newConsumer = () =>
    readCommittedConsumer(connection, { groupId: options.groupId, ...settings });
  const fetcher = createFetcher(newConsumer, {
    topics: [...options.sourceTopics, ...retry.retryTopics],
    lingerMs: settings.lingerMs,
    log,
    onRecords: (messages) =>
      queue.push(messages.map((source) => ({
        topic: source.topic,
        partition: source.partition,
        offset: source.offset,
        generationId: (source.metadata.consumer as { generationId: number }).generationId,
        message: { consumed: consumedMessage(source), source },
      }))),
    onAssigned(generationId, assignment) {
      queue.assign(generationId, assignment);
      m.rebalances.inc();
      m.assignedPartitions.set({}, assignment.length);
      log.info("rebalanced: partitions assigned", {
        generationId,
        assignment: byTopic(assignment),
      });
    },
  });
  // The offsets committed last, per topic/partition: said in every progress line.
  const checkpoints = new Map<string, number>();
  const stopProgress = startProgressLines(log, {
    intervalS: settings.progressIntervalS,
    fields: () => ({ ...totals, checkpoints: Object.fromEntries(checkpoints) }),
    rate: { name: "consumedPerSec", count: () => totals.consumed },
  });

  type Prepared = Awaited<ReturnType<ChunkWork<T>["prepare"]>>;

  /** Counts and says an aborted transaction, and replaces its producer; returns `err`. */
  const aborted = (chunks: Chunk[], err: unknown): unknown => {
    totals.aborts++;
    m.transactions.inc({ result: "abort" });
    log.warn("transaction aborted; its records will be consumed again", {
      partitions: chunks.map((c) => `${c.topic}/${c.partition}@${c.firstOffset}`),
      error: err,
    });
    // A fenced or broken producer is not used again.
    const old = producer;
    producer = transactionalProducer(connection, options.transactionalIdPrefix);
    void old.close(true).catch(() => {});
    return err;
  };

  /** What `parts` become; an error if preparing them failed. */
  const prepare = async (parts: PartitionChunk<Queued>[]) => {
    const chunks = parts.map(chunkOf);
    try {
      const prepared = await mapLimit(chunks, settings.concurrency, (c) => work.prepare(c));
      return { parts, chunks, prepared, error: undefined };
    } catch (err) {
      return {
        parts,
        chunks,
        prepared: [] as Prepared[],
        error: err ?? new Error("prepare failed"),
      };
    }
  };

  /** Commits prepared chunks in one transaction; returns the error it was aborted on, if it was. */
  const commit = async (
    { parts, chunks, prepared }: {
      parts: PartitionChunk<Queued>[];
      chunks: Chunk[];
      prepared: Prepared[];
    },
  ): Promise<unknown> => {
    try {
      const tx = await producer.beginTransaction();
      try {
        const records = messagesToProduce(prepared.flatMap((p) => p.topicMessages));
        if (records.length) await tx.send({ messages: records });
        await tx.addConsumer(fetcher.consumer);
        // Every partition's offset in one request (see ../patches/client_transactions.ts).
        await producer.commitOffsets(
          parts.map((p) => p.records[p.records.length - 1].message.source),
        );
        await tx.commit();
      } catch (err) {
        await tx.abort().catch((abortErr) =>
          log.warn("abort failed; the coordinator ends the transaction at its timeout", {
            error: abortErr,
          })
        );
        throw err;
      }
    } catch (err) {
      return aborted(chunks, err);
    }
    totals.transactions++;
    m.transactions.inc({ result: "commit" });
    chunks.forEach((c, i) => {
      totals.consumed += c.messages.length;
      checkpoints.set(`${c.topic}/${c.partition}`, c.nextOffset);
      work.committed(c, prepared[i].result);
    });
    return undefined;
  };

  // The transaction of the chunks carried last. While it is in flight, the
  // next chunks are taken and prepared (a data consumer's database batch
  // overlaps the Kafka round trips); they are committed only after it, and
  // dropped if it failed: the fetch then starts again from the committed
  // offsets, and what the store already applied comes back fenced and is
  // published again (../../effects/effect_chunk_work.ts).
  let inFlight: Promise<unknown> | undefined;
  // Failures in a row, of fetches or transactions; each waits longer before the next try.
  let failures = 0;
  /** Waits for the transaction in flight; returns the error it was aborted on, if it was. */
  const settle = async (): Promise<unknown> => {
    if (inFlight === undefined) return undefined;
    const result = await inFlight;
    inFlight = undefined;
    if (result === undefined) failures = 0;
    return result;
  };

  let fatal: unknown;
  try {
    await fetcher.open();
    while (!signal.aborted) {
      const { chunks: parts, nextDueAt } = queue.take(settings.transactionSize, Date.now());
      let failed: unknown;
      let fetchFailed = false;
      if (parts.length === 0) {
        failed = await settle();
        if (failed === undefined) {
          failed = await fetcher.next(signal, nextDueAt);
          fetchFailed = failed !== undefined;
        }
      } else {
        const next = await prepare(parts);
        failed = await settle();
        if (failed === undefined && next.error !== undefined) {
          failed = aborted(next.chunks, next.error);
        }
        if (failed === undefined) {
          inFlight = commit(next);
          continue;
        }
      }
      if (failed === undefined) continue;
      if (isFatalKafkaError(failed) || ++failures > MAX_RESTARTS) throw failed;
      if (fetchFailed) {
        log.warn("fetching failed; reading again from the committed offsets", {
          attempt: failures,
          error: failed,
        });
      }
      // A rebalance or an aborted transaction says the group moved on once; more is an outage.
      if (failures > 1) await backoff(failures - 1, signal);
      queue.clear();
      await fetcher.restart();
    }
  } catch (err) {
    fatal = err;
  }
  // The stop: the transaction in flight ends first (commits or aborts).
  await settle();
  log.info("stopping: the open transaction has ended", { ...totals });
  stopProgress();
  retry.close();
  await fetcher.close();
  await producer.close().catch(() => {});
  if (fatal !== undefined) throw fatal;
  log.info("stopped", { ...totals });
}

/** A partition's due records as the chunk the script's work sees. */
function chunkOf(part: PartitionChunk<Queued>): Chunk {
  const messages = part.records.map((r) => r.message.consumed);
  const last = part.records[part.records.length - 1].offset;
  return {
    topic: part.topic,
    partition: part.partition,
    messages,
    firstOffset: Number(part.records[0].offset),
    lastOffset: String(last),
    nextOffset: Number(last + 1n),
    startedAt: performance.now(),
  };
}

function byTopic(assignment: readonly { topic: string; partition: number }[]) {
  const out: Record<string, number[]> = {};
  for (const { topic, partition } of assignment) (out[topic] ??= []).push(partition);
  return out;
}

/** 0.5, 1, 2 ... up to 10 s; ends early on a stop. */
function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  const ms = Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5));
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** `f` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<A, B>(items: A[], limit: number, f: (a: A) => Promise<B>): Promise<B[]> {
  const out = new Array<B>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
