/**
 * The dashboard's live state and the loops that keep it: the aggregator's
 * `/stats` polled every second (its totals feed the throughput history),
 * consumer lag every few seconds, the processes' `/metrics` pages, the tail
 * of the pipeline's topics for the recent orders, and the DLQ listing on an
 * interval and after every replay. Each source fails on its own: a source
 * that is down shows as down on the page while the others carry on.
 * {@linkcode Collector.state} is what `GET /api/state` and the SSE stream
 * send.
 *
 * @example
 * ```ts
 * import { createCollector } from "./collector.ts";
 * // const collector = createCollector({ kafka, log, statsUrl: "http://127.0.0.1:8083", ... });
 * // collector.start(signal); collector.state().stats?.producer.ordersIn;
 * ```
 * @module
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import type { StatsSnapshot } from "../aggregate/snapshot.ts";
import { listDlq } from "../dlq_replay/grouping.ts";
import { readDlqTopics } from "../dlq_replay/read_dlq.ts";
import type { Logger } from "../platform/log.ts";
import { sleep } from "../platform/shutdown.ts";
import { type DlqTopicView, dlqTopicView, type ReplayRequest } from "./dlq_panel.ts";
import {
  DLQ_READ_GROUP_PREFIX,
  readLag,
  replayReason,
  type ReplaySummary,
  startTail,
} from "./kafka_io.ts";
import { type LagGroupView, type LagTarget, overallLag } from "./lag_view.ts";
import type { LoadControl, LoadStatus } from "./load_control.ts";
import { type ProcessRow, processRow, type ScrapeTarget } from "./prometheus.ts";
import { type RecentOrder, RecentOrders } from "./recent_orders.ts";
import { type StatsCards, statsCards, totalsOf } from "./stats_view.ts";
import { type RatePoint, ThroughputHistory } from "./throughput.ts";

/** Whether a source answers, and since when it does not. */
export interface SourceStatus {
  ok: boolean;
  /** Where it is (an address, a list of brokers). */
  at: string;
  error?: string;
  /** The last good answer (ISO); null before the first. */
  lastOkAt: string | null;
}

/** Everything the page shows; see the page (static/app.js) for how. */
export interface DashboardState {
  generatedAt: string;
  startedAt: string;
  uptimeSeconds: number;
  sources: { aggregator: SourceStatus; kafka: SourceStatus; tail: SourceStatus };
  stats: StatsCards | null;
  throughput: RatePoint[];
  lag: { groups: LagGroupView[]; total: number; readAt: string | null };
  processes: ProcessRow[];
  recentOrders: RecentOrder[];
  dlq: { topics: DlqTopicView[]; refreshing: boolean; lastReplay: ReplaySummary | null };
  load: LoadStatus & { topic: string };
}

export interface CollectorOptions {
  kafka: Kafka;
  brokers: readonly string[];
  log: Logger;
  /** The aggregator's base address, e.g. http://127.0.0.1:8083. */
  statsUrl: string;
  ordersTopic: string;
  statusTopic: string;
  dlqTopics: readonly string[];
  lagTargets: readonly LagTarget[];
  scrapeTargets: readonly ScrapeTarget[];
  load: LoadControl;
  /** Intervals, ms. */
  statsIntervalMs?: number;
  lagIntervalMs?: number;
  scrapeIntervalMs?: number;
  dlqIntervalMs?: number;
  /** How long a read of the DLQ may go without progress. */
  readTimeoutMs?: number;
  recentOrders?: number;
}

export interface Collector {
  start(signal: AbortSignal): void;
  state(): DashboardState;
  /** Replays one reason (one replay at a time), then reads the DLQ again. */
  replay(request: ReplayRequest): Promise<ReplaySummary>;
  /** Reads the DLQ topics again now; resolves with the panel. */
  refreshDlq(): Promise<DlqTopicView[]>;
  /** Whether the tail follows the topics (the recent orders fill). */
  readonly tailReady: boolean;
  stop(): Promise<void>;
}

function source(at: string): SourceStatus {
  return { ok: false, at, lastOkAt: null };
}

function ok(s: SourceStatus): void {
  s.ok = true;
  s.lastOkAt = new Date().toISOString();
  delete s.error;
}

function failed(s: SourceStatus, err: unknown): void {
  s.ok = false;
  s.error = err instanceof Error ? err.message : String(err);
}

export function createCollector(options: CollectorOptions): Collector {
  const { kafka, log } = options;
  const startedAt = new Date();
  const history = new ThroughputHistory();
  const recent = new RecentOrders(options.recentOrders ?? 15);
  const sources = {
    aggregator: source(`${options.statsUrl}/stats`),
    kafka: source(options.brokers.join(",")),
    tail: source([options.ordersTopic, options.statusTopic].join(", ")),
  };
  let snapshot: StatsSnapshot | undefined;
  let lag: LagGroupView[] = [];
  let lagReadAt: string | null = null;
  let processes = new Map<string, ProcessRow>();
  let dlqViews = options.dlqTopics.map((t) => dlqTopicView(t, undefined, null));
  let dlqRead: Promise<DlqTopicView[]> | undefined;
  let lastReplay: ReplaySummary | null = null;
  let replaying: Promise<unknown> = Promise.resolve();
  let admin: Admin | undefined;
  let tail: Consumer | undefined;
  let stopSignal: AbortSignal | undefined;
  const loops: Promise<void>[] = [];
  const readTimeoutMs = options.readTimeoutMs ?? 60_000;

  /** Runs `step` every `ms` until the signal aborts; a failing step waits and tries again. */
  function every(ms: number, step: () => Promise<void>) {
    loops.push((async () => {
      while (!stopSignal?.aborted) {
        await step().catch((err) => log.debug("a dashboard source failed", { error: err }));
        await sleep(ms, stopSignal);
      }
    })());
  }

  async function pollStats() {
    try {
      const res = await fetch(`${options.statsUrl}/stats`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      snapshot = await res.json() as StatsSnapshot;
      history.add(totalsOf(snapshot, Date.now()));
      ok(sources.aggregator);
    } catch (err) {
      failed(sources.aggregator, err);
    }
  }

  async function pollLag() {
    try {
      if (!admin) {
        const fresh = kafka.admin();
        await fresh.connect();
        admin = fresh;
      }
      lag = await readLag(admin, options.lagTargets);
      lagReadAt = new Date().toISOString();
      ok(sources.kafka);
    } catch (err) {
      failed(sources.kafka, err);
      await admin?.disconnect().catch(() => {});
      admin = undefined;
    }
  }

  async function scrape() {
    const next = new Map<string, ProcessRow>();
    await Promise.all(options.scrapeTargets.map(async (target) => {
      let text: string | undefined;
      try {
        const res = await fetch(target.url, { signal: AbortSignal.timeout(2000) });
        text = res.ok ? await res.text() : (await res.body?.cancel(), undefined);
      } catch { /* down */ }
      next.set(target.name, processRow(target, text, Date.now(), processes.get(target.name)));
    }));
    processes = next;
  }

  async function followTail() {
    if (tail) return;
    try {
      tail = await startTail(kafka, {
        ordersTopic: options.ordersTopic,
        statusTopic: options.statusTopic,
        dlqTopics: options.dlqTopics,
        handlers: {
          order: (value, fallbackId) => recent.addOrder(value, Date.now(), fallbackId),
          status: (event) => recent.addStatus(event),
          deadLetter: (id, reason) => recent.addDeadLetter(id, reason, Date.now()),
        },
        log,
      });
      ok(sources.tail);
    } catch (err) {
      failed(sources.tail, err);
    }
  }

  function refreshDlq(): Promise<DlqTopicView[]> {
    // One read at a time; a caller during a read gets that read.
    dlqRead ??= (async () => {
      try {
        const contents = await readDlqTopics(kafka, options.dlqTopics, {
          log,
          idleTimeoutMs: readTimeoutMs,
          groupPrefix: DLQ_READ_GROUP_PREFIX,
          signal: stopSignal,
        });
        // Interrupted by the dashboard's stop: the last views stand.
        if (!contents) return dlqViews;
        const at = new Date();
        dlqViews = options.dlqTopics.map((topic) => {
          const c = contents.get(topic);
          return dlqTopicView(topic, c ? listDlq(c.entries, c.replayed) : undefined, at);
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        dlqViews = dlqViews.map((v) => ({ ...v, error: message }));
      }
      return dlqViews;
    })().finally(() => dlqRead = undefined);
    return dlqRead;
  }

  return {
    start(signal) {
      stopSignal = signal;
      every(options.statsIntervalMs ?? 1000, pollStats);
      every(options.lagIntervalMs ?? 3000, pollLag);
      if (options.scrapeTargets.length) every(options.scrapeIntervalMs ?? 2000, scrape);
      every(5000, followTail);
      every(options.dlqIntervalMs ?? 15_000, async () => void await refreshDlq());
    },
    state() {
      const now = new Date();
      return {
        generatedAt: now.toISOString(),
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.floor((now.getTime() - startedAt.getTime()) / 1000),
        sources: structuredClone(sources),
        stats: snapshot ? statsCards(snapshot, history) : null,
        throughput: history.points(),
        lag: { groups: lag, total: overallLag(lag), readAt: lagReadAt },
        processes: [...processes.values()],
        recentOrders: recent.list(),
        dlq: { topics: dlqViews, refreshing: dlqRead !== undefined, lastReplay },
        load: { ...options.load.status(), topic: options.ordersTopic },
      };
    },
    replay(request) {
      const run = replaying.then(() =>
        replayReason(kafka, request, { log, idleTimeoutMs: readTimeoutMs, signal: stopSignal })
      );
      replaying = run.catch(() => {});
      return run.then(async (summary) => {
        lastReplay = summary;
        await refreshDlq();
        return summary;
      });
    },
    refreshDlq,
    get tailReady() {
      return tail !== undefined;
    },
    async stop() {
      await Promise.allSettled(loops);
      await dlqRead?.catch(() => {});
      await replaying;
      await tail?.disconnect().catch(() => {});
      await admin?.disconnect().catch(() => {});
    },
  };
}
