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

/** The metrics of the aggregator, one of each. */
function aggregatorMetrics(metrics: MetricsRegistry) {
  return {
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
}

/** Runs each piece of work after the last one has settled, whatever its outcome. */
function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
  };
}

/** What the running aggregator holds between its batches, commits and sessions. */
interface AggregatorLoop {
  readonly options: AggregatorOptions;
  readonly m: ReturnType<typeof aggregatorMetrics>;
  readonly totals: AggregatorTotals;
  /** One thing at a time touches the state: batches, timed commits, shutdown. */
  readonly serial: <T>(work: () => Promise<T>) => Promise<T>;
  state?: AggregateState;
  lastSnapshot?: StatsSnapshot;
  joined: boolean;
  failing: boolean;
  /** Records folded since the last commit. */
  dirty: number;
  /** Connected by `run`; replaced on each restore after the first. */
  producer?: Producer;
  needRestore: boolean;
  /** The topics the running session reads. */
  current: string[];
  /** Ends the running session: new topics, a failed commit, shutdown. */
  endSession: (reason: string) => void;
  /** An error that stops the aggregator (another instance took over). */
  fatal?: unknown;
}

/** Builds the aggregator; nothing connects until `run`. */
export function createAggregator(options: AggregatorOptions): Aggregator {
  const loop: AggregatorLoop = {
    options,
    m: aggregatorMetrics(options.metrics),
    totals: {
      folded: 0,
      skippedSeen: 0,
      commits: 0,
      failedCommits: 0,
      restores: 0,
      stateBytes: 0,
    },
    serial: serialQueue(),
    joined: false,
    failing: false,
    dirty: 0,
    needRestore: true,
    current: [],
    endSession: () => {},
  };
  return {
    run: (signal) => runAggregator(loop, signal),
    snapshot: () => loop.lastSnapshot,
    get healthy() {
      return loop.joined && !loop.failing;
    },
    totals: loop.totals,
  };
}

/** Restore, read, commit, and again, until `signal` aborts or another instance takes over. */
async function runAggregator(loop: AggregatorLoop, signal: AbortSignal): Promise<void> {
  loop.producer = await newProducer(loop.options);
  const admin = loop.options.kafka.admin();
  await admin.connect();
  loop.needRestore = true;
  const stopProgress = startAggregatorProgress(loop);
  try {
    while (!signal.aborted) {
      if (loop.needRestore) await restoreFromKafka(loop);
      await readSession(loop, signal, admin);
      // What was folded is committed before the next session (or the end).
      if (!loop.fatal) await loop.serial(() => commitState(loop));
      if (loop.fatal) throw loop.fatal;
      if (!loop.needRestore && !signal.aborted) await sleep(100, signal);
    }
  } finally {
    stopProgress();
    await admin.disconnect().catch(() => {});
    await loop.producer.disconnect().catch(() => {});
  }
  loop.options.log.info("stopped", { ...loop.totals });
}

function startAggregatorProgress(loop: AggregatorLoop): () => void {
  const { options, totals } = loop;
  return startProgressLines(options.log, {
    intervalS: options.progressIntervalS,
    fields: () => ({
      ...totals,
      orders: loop.lastSnapshot?.orders.count,
      views: loop.lastSnapshot?.clicks.views,
    }),
    rate: { name: "foldedPerSec", count: () => totals.folded },
  });
}

async function newProducer({ kafka, transactionalId }: AggregatorOptions): Promise<Producer> {
  const producer = transactionalProducer(kafka, transactionalId);
  await producer.connect();
  return producer;
}

/** Reads the committed state back; after the first time, through a new producer. */
async function restoreFromKafka(loop: AggregatorLoop): Promise<void> {
  if (loop.totals.restores > 0) {
    // The producer may be broken; a new one with the same id also ends any open transaction.
    await loop.producer?.disconnect().catch(() => {});
    loop.producer = await newProducer(loop.options);
  }
  const restoring = loop.producer!;
  await loop.serial(() => restoreState(loop, restoring));
  loop.needRestore = false;
}

function snapshotOf(options: AggregatorOptions, state: AggregateState): StatsSnapshot {
  return statsSnapshot(state, { topN: options.topN, catalog: options.catalog });
}

/** The state as last committed (a fresh one if none), and its snapshot. */
async function restoreState(loop: AggregatorLoop, producer: Producer): Promise<void> {
  const { options } = loop;
  const { kafka, log } = options;
  const text = await readLatestState({
    kafka,
    producer,
    topic: options.statsTopic,
    groupPrefix: options.groupId,
    log,
  });
  const state = loop.state = text === undefined ? emptyState(options.limits) : decodeState(text);
  if (text !== undefined && JSON.stringify(state.limits) !== JSON.stringify(options.limits)) {
    log.warn("the restored state keeps the limits it was created with", {
      restored: state.limits,
      configured: options.limits,
    });
  }
  loop.dirty = 0;
  loop.totals.restores++;
  loop.lastSnapshot = snapshotOf(options, state);
  log.info("state restored", {
    records: state.records,
    orders: state.orders.valid.count,
    views: state.clicks.views,
    partitions: Object.values(state.offsets).reduce((n, p) => n + Object.keys(p).length, 0),
  });
}

/** eachBatch: folds the batch into the state, and commits early past `maxUncommitted`. */
async function onBatch(
  loop: AggregatorLoop,
  { batch, heartbeat }: EachBatchPayload,
): Promise<void> {
  const kind = topicKind(batch.topic, loop.options.roles);
  if (kind === undefined) return;
  await loop.serial(async () => {
    if (loop.needRestore || loop.fatal || loop.state === undefined) return;
    const { folded, seen } = foldBatch(loop.state, kind, batch, Date.now());
    loop.totals.folded += folded;
    loop.totals.skippedSeen += seen;
    loop.dirty += folded;
    if (folded) loop.m.records.inc({ kind, result: "folded" }, folded);
    if (seen) loop.m.records.inc({ kind, result: "seen" }, seen);
    if (loop.dirty >= loop.options.maxUncommitted) await commitState(loop);
  });
  await heartbeat();
}

/** Commits the folded records; on failure, schedules a restore. */
async function commitState(loop: AggregatorLoop): Promise<void> {
  const { state, producer } = loop;
  if (loop.dirty === 0 || state === undefined || loop.needRestore || producer === undefined) return;
  const started = performance.now();
  prune(state.clicks.conversion);
  const encoded = encodeState(state);
  const snap = snapshotOf(loop.options, state);
  const offsets = offsetsToCommit(state, loop.current);
  try {
    await sendState(loop.options, producer, { encoded, snap, offsets });
  } catch (err) {
    commitFailed(loop, err);
    return;
  }
  commitSucceeded(loop, { encoded, snap }, started);
}

/** One transaction: the state and its snapshot to the stats topic, the offsets to the group. */
async function sendState(
  options: AggregatorOptions,
  producer: Producer,
  { encoded, snap, offsets }: {
    encoded: string;
    snap: StatsSnapshot;
    offsets: ReturnType<typeof offsetsToCommit>;
  },
): Promise<void> {
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
    throw err;
  }
}

/** A failed commit may still have committed: the session ends and the state is read back. */
function commitFailed(loop: AggregatorLoop, err: unknown): void {
  loop.totals.failedCommits++;
  loop.m.commits.inc({ result: "failed" });
  loop.failing = true;
  loop.needRestore = true;
  if (isFenced(err)) {
    loop.fatal = new FencedError(
      `another aggregator took over transactional id ${loop.options.transactionalId}; stopping`,
    );
    loop.endSession("fenced");
    return;
  }
  loop.options.log.warn("state transaction failed; reading the committed state back", {
    error: err,
  });
  loop.endSession("commit failed");
}

/** The commit went through: what it wrote is now the last committed state. */
function commitSucceeded(
  loop: AggregatorLoop,
  { encoded, snap }: { encoded: string; snap: StatsSnapshot },
  started: number,
): void {
  const { m, totals } = loop;
  loop.failing = false;
  loop.dirty = 0;
  loop.lastSnapshot = snap;
  totals.commits++;
  totals.stateBytes = encoded.length;
  m.commits.inc({ result: "committed" });
  m.commitSeconds.observe({}, (performance.now() - started) / 1000);
  m.stateBytes.set({}, encoded.length);
  m.figures.set({ name: "orders" }, snap.orders.count);
  m.figures.set({ name: "revenue" }, snap.sales.revenue);
  m.figures.set({ name: "views" }, snap.clicks.views);
  m.figures.set({ name: "dead_lettered" }, snap.deadLettered.total);
}

/**
 * One consumer session over the topics that exist now, until shutdown, a
 * failed commit, a crash kafkajs will not restart, or new topics.
 */
async function readSession(loop: AggregatorLoop, signal: AbortSignal, admin: Admin): Promise<void> {
  const { log, roles } = loop.options;
  loop.current = subscribedTopics(await admin.listTopics(), roles);
  loop.m.topics.set({}, loop.current.length);
  const sessionEnded = new Promise<string>((resolve) => (loop.endSession = resolve));
  const onAbort = () => loop.endSession("shutdown");
  // A signal that came before this point (during a restore or the topic
  // listing) fires no event: without this look, the session would wait for
  // an end that never comes, and the script would not stop.
  if (signal.aborted) return;
  signal.addEventListener("abort", onAbort, { once: true });
  const consumer = sessionConsumer(loop);
  const timers: ReturnType<typeof setInterval>[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: loop.current, fromBeginning: true });
    log.info("reading", { topics: loop.current });
    await consumer.run({ autoCommit: false, eachBatch: (payload) => onBatch(loop, payload) });
    timers.push(...sessionTimers(loop, admin));
    const reason = await sessionEnded;
    log.info("consumer session ends", { reason });
  } finally {
    signal.removeEventListener("abort", onAbort);
    for (const t of timers) clearInterval(t);
    loop.joined = false;
    await consumer.disconnect().catch((err) => log.warn("disconnect", { error: err }));
  }
}

/** The session's consumer; its group joins and crashes change `joined`, a fatal crash ends the session. */
function sessionConsumer(loop: AggregatorLoop): Consumer {
  const { kafka, log, groupId, sessionTimeoutMs } = loop.options;
  const consumer = readCommittedConsumer(kafka, { groupId, lingerMs: 250, sessionTimeoutMs });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    loop.joined = true;
    loop.m.rebalances.inc();
    log.info("partitions assigned", { assignment: e.payload.memberAssignment });
  });
  consumer.on(consumer.events.CRASH, (e) => {
    loop.joined = false;
    log.error("consumer crashed", { error: e.payload.error, restart: e.payload.restart });
    if (!e.payload.restart) loop.endSession("consumer crashed");
  });
  return consumer;
}

/** The session's timers: the timed commit, and the look for new retry and DLQ topics. */
function sessionTimers(loop: AggregatorLoop, admin: Admin): ReturnType<typeof setInterval>[] {
  const { log, roles, commitIntervalMs, topicRefreshMs } = loop.options;
  const timers = [setInterval(() => {
    loop.serial(() => commitState(loop)).catch((err) => {
      loop.fatal = err;
      loop.endSession("commit error");
    });
  }, commitIntervalMs)];
  if (topicRefreshMs > 0) {
    timers.push(setInterval(async () => {
      try {
        const now = subscribedTopics(await admin.listTopics(), roles);
        if (now.join("\n") !== loop.current.join("\n")) loop.endSession("topics changed");
      } catch (err) {
        log.warn("cannot list topics", { error: err });
      }
    }, topicRefreshMs));
  }
  return timers;
}

/*
 * The aggregator's kafkajs clients: it keeps its own loop on kafkajs until
 * it moves to the client of the exactly-once loop (../kafka/client.ts).
 */

/** The aggregator's consumer: read_committed, the rebalance timeout from the session timeout. */
function readCommittedConsumer(
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

/** The aggregator's transactional producer (not connected yet). */
function transactionalProducer(kafka: Pick<Kafka, "producer">, transactionalId: string) {
  return kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 60_000,
    // Right after a commit the broker answers the next transaction's
    // AddPartitionsToTxn with CONCURRENT_TRANSACTIONS until its markers
    // are written (milliseconds); kafkajs's default first retry waits
    // 300 ms. From 20 ms, tripling, its five retries span ~2.4 s (the
    // count is left alone: setting it makes kafkajs warn about EoS).
    retry: { initialRetryTime: 20, multiplier: 3 },
  });
}
