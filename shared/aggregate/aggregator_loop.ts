/**
 * The aggregator's Kafka loop: restore the last committed state, consume the
 * order, status, click, retry and DLQ topics, fold each batch into the state
 * (fold.ts), and every `commitIntervalMs` (or `maxUncommitted` records)
 * commit one transaction that writes the state and the dashboard snapshot to
 * `order_stats` *and* the consumed offsets.
 *
 * Why no record is counted twice, or lost, across a crash:
 * - The state holds the next offset of every input partition it covers, and
 *   a record below it is skipped (`covered` in fold.ts). The state alone is
 *   the source of truth; the group's committed offsets (same transaction)
 *   only save re-reading, so a stale or missing group offset costs time,
 *   never correctness.
 * - One transactional id for the aggregator: a restarted instance's
 *   `connect()` ends whatever its crashed predecessor left open (and fences
 *   a live one, which then stops), *before* it reads the state back
 *   (restore.ts).
 * - A failed commit may still have committed (a timeout, say), so the loop
 *   does not guess: it drops the consumer, reads the state back from Kafka,
 *   and resumes from there.
 *
 * Retry and DLQ topics are matched by pattern among the topics that exist;
 * every `topicRefreshMs` the loop looks again and, when new ones appeared,
 * resubscribes (kafkajs matches patterns only when it subscribes).
 *
 * The aggregator runs as one instance (its state is global).
 *
 * Why not the exactly-once loop of the routers and the consumers
 * (../kafka/exactly_once/loop.ts): that loop commits each chunk of one
 * partition with its own transactional id and takes its start from the
 * group's offsets (the ownership guard); here one transaction covers every
 * partition, on a timer, the state's own offsets say where to start, a
 * failed commit means reading the state back, and the topics are
 * resubscribed as retry and DLQ topics appear. What does fit is shared: the
 * consumer's and the producer's settings (`readCommittedConsumer`,
 * `transactionalProducer`) and the progress lines.
 *
 * @example
 * ```ts
 * // const aggregator = createAggregator({ kafka, log, metrics, roles, statsTopic: "order_stats", ... });
 * // await aggregator.run(shutdown.signal);
 * ```
 * @module
 */
import {
  type Admin,
  type Batch,
  CompressionTypes,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
  type Transaction,
} from "kafkajs";
import { readCommittedConsumer } from "../kafka/exactly_once/loop.ts";
import { transactionalProducer } from "../kafka/exactly_once/producer_pool.ts";
import type { Logger } from "../platform/log.ts";
import { startProgressLines } from "../platform/progress_lines.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { ProductLookup } from "../orders/catalog.ts";
import { sleep } from "../platform/shutdown.ts";
import { prune } from "./conversion.ts";
import {
  foldRecord,
  subscribedTopics,
  type TopicKind,
  topicKind,
  type TopicRoles,
} from "./fold.ts";
import { readLatestState, STATS_KEYS } from "./restore.ts";
import { type StatsSnapshot, statsSnapshot } from "./snapshot.ts";
import {
  type AggregateState,
  decodeState,
  emptyState,
  encodeState,
  type StateLimits,
} from "./state.ts";

export interface AggregatorOptions {
  kafka: Kafka;
  log: Logger;
  metrics: MetricsRegistry;
  roles: TopicRoles;
  statsTopic: string;
  groupId: string;
  transactionalId: string;
  /** Bounds of a fresh state; a restored state keeps its own. */
  limits: StateLimits;
  commitIntervalMs: number;
  maxUncommitted: number;
  /** How often to look for new retry/DLQ topics; 0 = never. */
  topicRefreshMs: number;
  sessionTimeoutMs: number;
  topN: number;
  progressIntervalS: number;
  catalog?: ProductLookup;
}

/** Running totals of this process, for progress lines. */
export interface AggregatorTotals {
  folded: number;
  skippedSeen: number;
  commits: number;
  failedCommits: number;
  restores: number;
  stateBytes: number;
}

export interface Aggregator {
  /** Runs until `signal` aborts; commits what it folded, then disconnects. */
  run(signal: AbortSignal): Promise<void>;
  /** The last committed snapshot; undefined until the state is restored. */
  snapshot(): StatsSnapshot | undefined;
  /** In its consumer group, and no commit failing. */
  readonly healthy: boolean;
  readonly totals: Readonly<AggregatorTotals>;
}

/** A newer instance took over the transactional id: this one must stop, not fight. */
export class FencedError extends Error {
  override name = "FencedError";
}

function isFenced(err: unknown): boolean {
  const e = err as { type?: string; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  if (e.type === "INVALID_PRODUCER_EPOCH" || e.type === "PRODUCER_FENCED") return true;
  if (/fenced|producer epoch/i.test(e.message ?? "")) return true;
  return e.cause !== undefined && e.cause !== err && isFenced(e.cause);
}

/**
 * The group offsets a state transaction carries: the state's own next
 * offsets, for the topics read now (the group may not commit others). Pure.
 */
export function offsetsToCommit(
  state: Pick<AggregateState, "offsets">,
  subscribed: readonly string[],
): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const read = new Set(subscribed);
  return Object.entries(state.offsets)
    .filter(([topic]) => read.has(topic))
    .map(([topic, parts]) => ({
      topic,
      partitions: Object.entries(parts).map(([p, next]) => ({
        partition: Number(p),
        offset: String(next),
      })),
    }));
}

/** Folds one partition's batch into the state; says how many records were new and how many seen. */
export function foldBatch(
  state: AggregateState,
  kind: TopicKind,
  batch: Pick<Batch, "topic" | "partition" | "messages">,
  now: number,
): { folded: number; seen: number } {
  let folded = 0;
  for (const msg of batch.messages) {
    const result = foldRecord(state, kind, {
      topic: batch.topic,
      partition: batch.partition,
      offset: msg.offset,
      value: msg.value,
      headers: msg.headers,
    }, now);
    if (result === "folded") folded++;
  }
  return { folded, seen: batch.messages.length - folded };
}

export function createAggregator(options: AggregatorOptions): Aggregator {
  const { kafka, log, metrics, roles } = options;
  const totals: AggregatorTotals = {
    folded: 0,
    skippedSeen: 0,
    commits: 0,
    failedCommits: 0,
    restores: 0,
    stateBytes: 0,
  };
  const m = {
    records: metrics.counter("aggregator_records_total", "input records by topic kind and result", [
      "kind",
      "result",
    ]),
    commits: metrics.counter("aggregator_commits_total", "state transactions by result", [
      "result",
    ]),
    commitSeconds: metrics.histogram("aggregator_commit_seconds", "state transaction duration"),
    stateBytes: metrics.gauge("aggregator_state_bytes", "size of the persisted state (JSON)"),
    topics: metrics.gauge("aggregator_subscribed_topics", "topics read"),
    figures: metrics.gauge("aggregator_figure", "headline figures of the last commit", ["name"]),
    rebalances: metrics.counter("aggregator_rebalances_total", "consumer group joins"),
  };
  let state: AggregateState | undefined;
  let lastSnapshot: StatsSnapshot | undefined;
  let joined = false;
  let failing = false;
  /** Records folded since the last commit. */
  let dirty = 0;

  // One thing at a time touches the state: batches, timed commits, shutdown.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
  };

  const snapshotOf = (s: AggregateState) =>
    statsSnapshot(s, { topN: options.topN, catalog: options.catalog });

  const newProducer = async (): Promise<Producer> => {
    const producer = transactionalProducer(kafka, options.transactionalId);
    await producer.connect();
    return producer;
  };

  const restore = async (producer: Producer): Promise<void> => {
    const text = await readLatestState({
      kafka,
      producer,
      topic: options.statsTopic,
      groupPrefix: options.groupId,
      log,
    });
    state = text === undefined ? emptyState(options.limits) : decodeState(text);
    if (text !== undefined && JSON.stringify(state.limits) !== JSON.stringify(options.limits)) {
      log.warn("the restored state keeps the limits it was created with", {
        restored: state.limits,
        configured: options.limits,
      });
    }
    dirty = 0;
    totals.restores++;
    lastSnapshot = snapshotOf(state);
    log.info("state restored", {
      records: state.records,
      orders: state.orders.valid.count,
      views: state.clicks.views,
      partitions: Object.values(state.offsets).reduce((n, p) => n + Object.keys(p).length, 0),
    });
  };

  let producer: Producer | undefined;
  let needRestore = true;
  /** The topics the running session reads. */
  let current: string[] = [];
  /** Ends the running session: new topics, a failed commit, shutdown. */
  let endSession: (reason: string) => void = () => {};
  /** An error that stops the aggregator (another instance took over). */
  let fatal: unknown;

  /** Commits the folded records; on failure, schedules a restore. */
  const commit = async (): Promise<void> => {
    if (dirty === 0 || state === undefined || needRestore || producer === undefined) return;
    const started = performance.now();
    prune(state.clicks.conversion);
    const encoded = encodeState(state);
    const snap = snapshotOf(state);
    const offsets = offsetsToCommit(state, current);
    let tx: Transaction | undefined;
    try {
      tx = await producer.transaction();
      await tx.send({
        topic: options.statsTopic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [
          { key: STATS_KEYS.state, value: encoded },
          { key: STATS_KEYS.snapshot, value: JSON.stringify(snap) },
        ],
      });
      if (offsets.length) {
        await tx.sendOffsets({ consumerGroupId: options.groupId, topics: offsets });
      }
      await tx.commit();
    } catch (err) {
      await tx?.abort().catch(() => {});
      totals.failedCommits++;
      m.commits.inc({ result: "failed" });
      failing = true;
      needRestore = true;
      if (isFenced(err)) {
        fatal = new FencedError(
          `another aggregator took over transactional id ${options.transactionalId}; stopping`,
        );
        endSession("fenced");
        return;
      }
      log.warn("state transaction failed; reading the committed state back", { error: err });
      endSession("commit failed");
      return;
    }
    failing = false;
    dirty = 0;
    lastSnapshot = snap;
    totals.commits++;
    totals.stateBytes = encoded.length;
    m.commits.inc({ result: "committed" });
    m.commitSeconds.observe({}, (performance.now() - started) / 1000);
    m.stateBytes.set({}, encoded.length);
    m.figures.set({ name: "orders" }, snap.orders.count);
    m.figures.set({ name: "revenue" }, snap.sales.revenue);
    m.figures.set({ name: "views" }, snap.clicks.views);
    m.figures.set({ name: "dead_lettered" }, snap.deadLettered.total);
  };

  /** eachBatch: folds the batch into the state, and commits early past `maxUncommitted`. */
  const onBatch = async ({ batch, heartbeat }: EachBatchPayload): Promise<void> => {
    const kind = topicKind(batch.topic, roles);
    if (kind === undefined) return;
    await serial(async () => {
      if (needRestore || fatal || state === undefined) return;
      const { folded, seen } = foldBatch(state, kind, batch, Date.now());
      totals.folded += folded;
      totals.skippedSeen += seen;
      dirty += folded;
      if (folded) m.records.inc({ kind, result: "folded" }, folded);
      if (seen) m.records.inc({ kind, result: "seen" }, seen);
      if (dirty >= options.maxUncommitted) await commit();
    });
    await heartbeat();
  };

  /**
   * One consumer session over the topics that exist now, until shutdown, a
   * failed commit, a crash kafkajs will not restart, or new topics.
   */
  const readSession = async (signal: AbortSignal, admin: Admin): Promise<void> => {
    current = subscribedTopics(await admin.listTopics(), roles);
    m.topics.set({}, current.length);
    const sessionEnded = new Promise<string>((resolve) => (endSession = resolve));
    const onAbort = () => endSession("shutdown");
    signal.addEventListener("abort", onAbort, { once: true });
    const consumer: Consumer = readCommittedConsumer(kafka, {
      groupId: options.groupId,
      lingerMs: 250,
      sessionTimeoutMs: options.sessionTimeoutMs,
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      joined = true;
      m.rebalances.inc();
      log.info("partitions assigned", { assignment: e.payload.memberAssignment });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      joined = false;
      log.error("consumer crashed", { error: e.payload.error, restart: e.payload.restart });
      if (!e.payload.restart) endSession("consumer crashed");
    });
    const timers: ReturnType<typeof setInterval>[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: current, fromBeginning: true });
      log.info("reading", { topics: current });
      await consumer.run({ autoCommit: false, eachBatch: onBatch });
      timers.push(setInterval(() => {
        serial(commit).catch((err) => {
          fatal = err;
          endSession("commit error");
        });
      }, options.commitIntervalMs));
      if (options.topicRefreshMs > 0) {
        timers.push(setInterval(async () => {
          try {
            const now = subscribedTopics(await admin.listTopics(), roles);
            if (now.join("\n") !== current.join("\n")) endSession("topics changed");
          } catch (err) {
            log.warn("cannot list topics", { error: err });
          }
        }, options.topicRefreshMs));
      }
      const reason = await sessionEnded;
      log.info("consumer session ends", { reason });
    } finally {
      signal.removeEventListener("abort", onAbort);
      for (const t of timers) clearInterval(t);
      joined = false;
      await consumer.disconnect().catch((err) => log.warn("disconnect", { error: err }));
    }
  };

  const run = async (signal: AbortSignal) => {
    producer = await newProducer();
    const admin = kafka.admin();
    await admin.connect();
    needRestore = true;
    const stopProgress = startProgressLines(log, {
      intervalS: options.progressIntervalS,
      fields: () => ({
        ...totals,
        orders: lastSnapshot?.orders.count,
        views: lastSnapshot?.clicks.views,
      }),
      rate: { name: "foldedPerSec", count: () => totals.folded },
    });
    try {
      while (!signal.aborted) {
        if (needRestore) {
          if (totals.restores > 0) {
            // The producer may be broken; a new one with the same id also ends any open transaction.
            await producer.disconnect().catch(() => {});
            producer = await newProducer();
          }
          const restoring = producer;
          await serial(() => restore(restoring));
          needRestore = false;
        }
        await readSession(signal, admin);
        // What was folded is committed before the next session (or the end).
        if (!fatal) await serial(commit);
        if (fatal) throw fatal;
        if (!needRestore && !signal.aborted) await sleep(100, signal);
      }
    } finally {
      stopProgress();
      await admin.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
    }
    log.info("stopped", { ...totals });
  };

  return {
    run,
    snapshot: () => lastSnapshot,
    get healthy() {
      return joined && !failing;
    },
    totals,
  };
}
