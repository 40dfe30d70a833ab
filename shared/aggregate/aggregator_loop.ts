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
 *   producer, as it initialises, ends whatever its crashed predecessor left
 *   open (and fences a live one, which then stops), *before* it reads the
 *   state back (restore.ts).
 * - A failed commit may still have committed (a timeout, say), so the loop
 *   does not guess: it drops the consumer, reads the state back from Kafka,
 *   and resumes from there.
 *
 * Retry and DLQ topics are matched by pattern among the topics that exist;
 * every `topicRefreshMs` the loop looks again and, when new ones appeared,
 * resubscribes.
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
 * clients (../kafka/client.ts), the batches of a stream
 * (../kafka/stream_batches.ts) and the progress lines. The group offsets
 * go in the transaction with the session consumer's generation and member
 * id (KIP-447), so a consumer the group has moved past cannot commit them.
 *
 * @example
 * ```ts
 * // const aggregator = createAggregator({ connection, log, metrics, roles, statsTopic: "order_stats", ... });
 * // await aggregator.run(shutdown.signal);
 * ```
 * @module
 */
import {
  CompressionAlgorithms,
  FetchIsolationLevels,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from "@platformatic/kafka";
import { Buffer } from "node:buffer";
import {
  createAdmin,
  createConsumer,
  type KafkaAdmin,
  type KafkaConsumer,
  type KafkaProducer,
  openTransactionalProducer,
} from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { kafkaErrorTypes } from "../kafka/errors.ts";
import { consumedMessage } from "../kafka/records.ts";
import { byPartition, consumeBatches, type StreamRecord } from "../kafka/stream_batches.ts";
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
  connection: KafkaConnection;
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
  return kafkaErrorTypes(err).some((t) =>
    t === "INVALID_PRODUCER_EPOCH" || t === "PRODUCER_FENCED"
  );
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

/** Folds one partition's records into the state; says how many were new and how many seen. */
export function foldBatch(
  state: AggregateState,
  kind: TopicKind,
  batch: {
    topic: string;
    partition: number;
    messages: readonly {
      offset: string;
      value: Uint8Array | null;
      headers?: Record<string, unknown>;
    }[];
  },
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
  /** Initialised by `run`; replaced on each restore after the first. */
  producer?: KafkaProducer;
  /** The running session's consumer, once it joined: the group offsets go with its generation. */
  consumer?: KafkaConsumer;
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
  const admin = createAdmin(loop.options.connection);
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
    await admin.close().catch(() => {});
    await loop.producer.close().catch(() => {});
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

/** The aggregator's transactional producer, its id initialised: that fences any other. */
function newProducer({ connection, transactionalId }: AggregatorOptions): Promise<KafkaProducer> {
  return openTransactionalProducer(connection, transactionalId);
}

/** Reads the committed state back; after the first time, through a new producer. */
async function restoreFromKafka(loop: AggregatorLoop): Promise<void> {
  if (loop.totals.restores > 0) {
    // The producer may be broken; a new one with the same id also ends any open transaction.
    await loop.producer?.close(true).catch(() => {});
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
async function restoreState(loop: AggregatorLoop, producer: KafkaProducer): Promise<void> {
  const { options } = loop;
  const { connection, log } = options;
  const text = await readLatestState({
    connection,
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

/** Folds a batch into the state, partition by partition, and commits early past `maxUncommitted`. */
async function onBatch(loop: AggregatorLoop, records: StreamRecord[]): Promise<void> {
  await loop.serial(async () => {
    for (const batch of byPartition(records)) {
      const kind = topicKind(batch.topic, loop.options.roles);
      if (kind === undefined) continue;
      if (loop.needRestore || loop.fatal || loop.state === undefined) return;
      const messages = batch.records.map(consumedMessage);
      const { folded, seen } = foldBatch(loop.state, kind, { ...batch, messages }, Date.now());
      loop.totals.folded += folded;
      loop.totals.skippedSeen += seen;
      loop.dirty += folded;
      if (folded) loop.m.records.inc({ kind, result: "folded" }, folded);
      if (seen) loop.m.records.inc({ kind, result: "seen" }, seen);
      if (loop.dirty >= loop.options.maxUncommitted) await commitState(loop);
    }
  });
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
    await sendState(loop.options, producer, loop.consumer, { encoded, snap, offsets });
  } catch (err) {
    commitFailed(loop, err);
    return;
  }
  commitSucceeded(loop, { encoded, snap }, started);
}

/** One transaction: the state and its snapshot to the stats topic, the offsets to the group. */
async function sendState(
  options: AggregatorOptions,
  producer: KafkaProducer,
  consumer: KafkaConsumer | undefined,
  { encoded, snap, offsets }: {
    encoded: string;
    snap: StatsSnapshot;
    offsets: ReturnType<typeof offsetsToCommit>;
  },
): Promise<void> {
  let tx: Awaited<ReturnType<KafkaProducer["beginTransaction"]>> | undefined;
  try {
    tx = await producer.beginTransaction();
    await tx.send({
      compression: CompressionAlgorithms.GZIP,
      messages: [
        {
          topic: options.statsTopic,
          key: Buffer.from(STATS_KEYS.state),
          value: Buffer.from(encoded),
        },
        {
          topic: options.statsTopic,
          key: Buffer.from(STATS_KEYS.snapshot),
          value: Buffer.from(JSON.stringify(snap)),
        },
      ],
    });
    // Between sessions there is no member to commit as: the state alone
    // holds the offsets, and the next session's commit brings the group's up.
    if (offsets.length && consumer) {
      await tx.addConsumer(consumer);
      // Every partition's offset in one request (see kafka/patches/client_transactions.ts).
      await producer.commitOffsets(
        offsets.flatMap(({ topic, partitions }) =>
          partitions.map(({ partition, offset }) =>
            offsetMark(consumer, topic, partition, BigInt(offset))
          )
        ),
      );
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
 * What `commitOffsets` (like `Transaction#addOffset`) reads of a record to commit the group past
 * it: its place, and the consumer's group, generation, member and
 * coordinator. `next` is the offset to read next (the library commits the
 * record's offset + 1).
 */
function offsetMark(
  consumer: KafkaConsumer,
  topic: string,
  partition: number,
  next: bigint,
): Message<Buffer, Buffer, Buffer, Buffer> {
  return {
    topic,
    partition,
    offset: next - 1n,
    metadata: {
      consumer: {
        groupId: consumer.groupId,
        generationId: consumer.generationId,
        memberId: consumer.memberId,
        coordinatorId: consumer.coordinatorId,
      },
    },
  } as unknown as Message<Buffer, Buffer, Buffer, Buffer>;
}

/**
 * One consumer session over the topics that exist now, until shutdown, a
 * failed commit, a failed stream, or new topics. What it folded is
 * committed before it leaves the group.
 */
async function readSession(
  loop: AggregatorLoop,
  signal: AbortSignal,
  admin: KafkaAdmin,
): Promise<void> {
  const { log, roles } = loop.options;
  loop.current = subscribedTopics(await admin.listTopics(), roles);
  loop.m.topics.set({}, loop.current.length);
  const session = new AbortController();
  const sessionEnded = new Promise<string>((resolve) => {
    loop.endSession = (reason) => {
      resolve(reason);
      session.abort();
    };
  });
  const onAbort = () => loop.endSession("shutdown");
  // A signal that came before this point (during a restore or the topic
  // listing) fires no event: without this look, the session would wait for
  // an end that never comes, and the script would not stop.
  if (signal.aborted) return;
  signal.addEventListener("abort", onAbort, { once: true });
  const consumer = sessionConsumer(loop);
  const timers: ReturnType<typeof setInterval>[] = [];
  let stream: Awaited<ReturnType<KafkaConsumer["consume"]>> | undefined;
  try {
    stream = await consumer.consume({
      topics: loop.current,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      maxWaitTime: 250,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    loop.consumer = consumer;
    log.info("reading", { topics: loop.current });
    timers.push(...sessionTimers(loop, admin));
    const reading = consumeBatches(stream, session.signal, (records) => onBatch(loop, records));
    reading.catch((err) => {
      loop.joined = false;
      log.error("consumer failed", { error: err });
      loop.endSession("consumer failed");
    });
    const reason = await sessionEnded;
    await reading.catch(() => {});
    log.info("consumer session ends", { reason });
    if (!loop.fatal) await loop.serial(() => commitState(loop));
  } finally {
    signal.removeEventListener("abort", onAbort);
    for (const t of timers) clearInterval(t);
    loop.joined = false;
    loop.consumer = undefined;
    await stream?.close().catch(() => {});
    await consumer.close(true).catch((err) => log.warn("leaving the group", { error: err }));
  }
}

/** The session's consumer; its group joins set `joined`. */
function sessionConsumer(loop: AggregatorLoop): KafkaConsumer {
  const { connection, log, groupId, sessionTimeoutMs } = loop.options;
  const consumer = createConsumer(connection, {
    groupId,
    sessionTimeout: sessionTimeoutMs,
    rebalanceTimeout: Math.max(2 * sessionTimeoutMs, 10_000),
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeoutMs / 10)),
  });
  consumer.on("consumer:group:join", (e) => {
    loop.joined = true;
    loop.m.rebalances.inc();
    log.info("partitions assigned", { assignment: e.assignments });
  });
  // The library's rejoin failed: this member is done.
  consumer.on("error", (err: unknown) => {
    loop.joined = false;
    log.error("consumer failed", { error: err });
    loop.endSession("consumer failed");
  });
  return consumer;
}

/** The session's timers: the timed commit, and the look for new retry and DLQ topics. */
function sessionTimers(loop: AggregatorLoop, admin: KafkaAdmin): ReturnType<typeof setInterval>[] {
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
