/**
 * The one consume-transform-produce loop, exactly once: both routing
 * producers and both data consumers run it, each with its own
 * {@linkcode ChunkWork} (what a chunk of consumed records becomes).
 *
 * What the loop does, the same for all of them:
 * - a `read_committed` consumer group over the sources and their retry
 *   topics, offsets never auto-committed;
 * - one transactional producer per input partition (./producer_pool.ts), so
 *   the next owner of a partition, after a crash or a rebalance, fences the
 *   last; producers of partitions lost in a rebalance are closed;
 * - the ownership guard (./ownership_guard.ts) on each partition's first
 *   batch after a (re)assignment;
 * - each chunk of at most `transactionSize` records carried by one Kafka
 *   transaction with its consumed offset (./transactional_batches.ts);
 *   a failed transaction is aborted, its producer replaced, and the chunk
 *   consumed again;
 * - progress lines, and the {@linkcode LoopMetrics} (transactions by
 *   result, rebalances, assigned partitions);
 * - the stop: the running chunk's transaction finishes (commits or aborts),
 *   then the consumer, the retry timers, the admin and last the producers
 *   are closed. A fatal crash (a missing ACL, a refused login) ends the run
 *   the same way and is thrown.
 *
 * @example
 * ```ts
 * // await runExactlyOnceLoop({
 * //   kafka, log, metrics: routerLoopMetrics(registry), sourceTopics: ["orders"], retry,
 * //   groupId: "inventory-router", transactionalIdPrefix: "inventory-router",
 * //   settings: { transactionSize: 1000, lingerMs: 100, concurrency: 32, sessionTimeoutMs: 30_000, progressIntervalS: 10 },
 * //   totals, work: { prepare, committed },
 * // }, shutdown.signal);
 * ```
 * @module
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "../../platform/log.ts";
import type { Counter, Gauge } from "../../platform/metrics.ts";
import { startProgressLines } from "../../platform/progress_lines.ts";
import type { RetryStage } from "../../retry/retry_stage.ts";
import { fatalCrash, isFatalKafkaError, untilStopOrFatal } from "../errors.ts";
import {
  type Chunk,
  type ChunkWork,
  partitionCounts,
  transactionalBatches,
} from "./transactional_batches.ts";
import { ownershipGuard } from "./ownership_guard.ts";
import { partitionId, producerPool } from "./producer_pool.ts";

/** The seam: what a script's chunk becomes is its own {@linkcode ChunkWork}. */
export type { Chunk, ChunkWork };

/** The loop's knobs, one name each, as both kinds of script take them. */
export interface LoopSettings {
  /** Most records consumed per transaction (a chunk). */
  transactionSize: number;
  /** How long the broker may hold a fetch to fill a batch (the linger). */
  lingerMs: number;
  /** Input partitions processed at once. */
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
  kafka: Pick<Kafka, "consumer" | "admin" | "producer">;
  log: Logger;
  /** What the loop counts, registered by the script under its own names. */
  metrics: LoopMetrics;
  /** The topics consumed besides `retry.retryTopics`. */
  sourceTopics: readonly string[];
  retry: RetryStage;
  groupId: string;
  /** Transactional ids are `<prefix>-<topic>-<partition>`. */
  transactionalIdPrefix: string;
  settings: LoopSettings;
  /** Updated by the loop; said in progress lines with what `work` adds to it. */
  totals: LoopTotals;
  work: ChunkWork<T>;
  /** How long the ownership guard waits between its two reads (tests shorten it). */
  guardSettleMs?: number;
}

/**
 * The consumer of an exactly-once reader: `read_committed`, with the
 * rebalance timeout derived from the session timeout. The aggregator's
 * loop takes it too.
 */
export function readCommittedConsumer(
  kafka: Pick<Kafka, "consumer">,
  options: { groupId: string; lingerMs: number; sessionTimeoutMs: number },
) {
  return kafka.consumer({
    groupId: options.groupId,
    readUncommitted: false,
    maxWaitTimeInMs: options.lingerMs,
    sessionTimeout: options.sessionTimeoutMs,
    rebalanceTimeout: Math.max(2 * options.sessionTimeoutMs, 10_000),
  });
}

/** Runs the loop until `signal` aborts or the consumer crashes fatally (then throws that). */
export async function runExactlyOnceLoop<T>(
  options: ExactlyOnceLoopOptions<T>,
  signal: AbortSignal,
): Promise<void> {
  const { kafka, log, metrics: m, retry, settings, totals, work } = options;
  const producers = producerPool(kafka, options.transactionalIdPrefix);
  const consumer = readCommittedConsumer(kafka, { groupId: options.groupId, ...settings });
  const admin = kafka.admin();
  await admin.connect();
  const guard = ownershipGuard(admin, options.groupId, log, options.guardSettleMs);
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    guard.reset();
    const assignment = e.payload.memberAssignment;
    const owned = new Set(
      Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => partitionId(t, p))),
    );
    m.rebalances.inc();
    m.assignedPartitions.set({}, owned.size);
    log.info("rebalanced: partitions assigned", { assignment });
    producers.retain(owned);
  });
  const crashed = fatalCrash(consumer);
  consumer.on(consumer.events.CRASH, (e) => {
    if (isFatalKafkaError(e.payload.error)) return; // said once, by the script
    log.error("consumer crashed; kafkajs restarts it", {
      error: e.payload.error,
      restart: e.payload.restart,
    });
  });
  // The offsets committed last, per topic/partition: said in every progress line.
  const checkpoints = new Map<string, number>();
  const stopProgress = startProgressLines(log, {
    intervalS: settings.progressIntervalS,
    fields: () => ({ ...totals, checkpoints: Object.fromEntries(checkpoints) }),
    rate: { name: "consumedPerSec", count: () => totals.consumed },
  });

  await consumer.connect();
  await consumer.subscribe({
    topics: [...options.sourceTopics, ...retry.retryTopics],
    fromBeginning: true,
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: settings.concurrency,
    eachBatch: transactionalBatches({
      producers,
      guard,
      retry,
      groupId: options.groupId,
      partitionsOf: partitionCounts(admin),
      transactionSize: settings.transactionSize,
      work: {
        prepare: (chunk) => work.prepare(chunk),
        committed(chunk: Chunk, result: T) {
          totals.transactions++;
          totals.consumed += chunk.messages.length;
          m.transactions.inc({ result: "commit" });
          checkpoints.set(`${chunk.topic}/${chunk.partition}`, chunk.nextOffset);
          work.committed(chunk, result);
        },
        aborted(chunk: Chunk, err: unknown) {
          totals.aborts++;
          m.transactions.inc({ result: "abort" });
          log.warn("transaction aborted; the chunk will be consumed again", {
            topic: chunk.topic,
            partition: chunk.partition,
            firstOffset: chunk.firstOffset,
            error: err,
          });
          work.aborted?.(chunk, err);
        },
      },
    }),
  });

  // A missing ACL or a refused login ends the run (and the script, with one
  // line naming it) instead of a crash loop.
  const fatal = await untilStopOrFatal(signal, crashed);
  log.info("stopping: finishing the open transaction", { ...totals });
  // disconnect() waits for the running batch, whose transaction commits or aborts.
  await consumer.disconnect();
  retry.close();
  await admin.disconnect();
  stopProgress();
  await producers.closeAll();
  if (fatal !== undefined) throw fatal;
  log.info("stopped", { ...totals });
}
