/**
 * The dashboard's live state and the loops that keep it: the aggregator's
 * `/stats` polled every second (its totals feed the throughput history),
 * consumer lag every few seconds, the processes' `/metrics` pages, the tail
 * of the pipeline's topics for the recent orders, and the DLQ listing on an
 * interval and after every replay, and the stock levels folded from the
 * `inventory` change log (./stock_source.ts). Each source fails on its own: a source
 * that is down shows as down on the page while the others carry on.
 * {@linkcode Collector.state} is what `GET /api/state` and the SSE stream
 * send. The sources are in ./collector_sources.ts and ./dlq_source.ts; this
 * file runs them and assembles the state.
 *
 * @example
 * ```ts
 * import { createCollector } from "./collector.ts";
 * // const collector = createCollector({ connection, log, statsUrl: "http://127.0.0.1:8083", ... });
 * // collector.start(signal); collector.state().stats?.producer.ordersIn;
 * ```
 * @module
 */
import type { KafkaConnection } from "../kafka/connection.ts";
import type { Logger } from "../platform/log.ts";
import { sleep } from "../platform/shutdown.ts";
import { LagSource, OrderTail, ProcessScraper, StatsSource } from "./collector_sources.ts";
import type { DlqTopicView, ReplayRequest } from "./dlq_panel.ts";
import { DlqSource } from "./dlq_source.ts";
import type { ReplaySummary } from "./kafka_io.ts";
import { type LagGroupView, type LagTarget, overallLag } from "./lag_view.ts";
import type { LoadControl, LoadStatus } from "./load_control.ts";
import type { ProcessRow, ScrapeTarget } from "./prometheus.ts";
import type { RecentOrder } from "./recent_orders.ts";
import type { SourceStatus } from "./source_status.ts";
import { type StatsCards, statsCards } from "./stats_view.ts";
import { StockSource } from "./stock_source.ts";
import type { StockPanel } from "./stock_panel.ts";
import type { RegistryConnection } from "../kafka/registry_connection.ts";
import type { RatePoint } from "./throughput.ts";

export type { SourceStatus } from "./source_status.ts";

/** Everything the page shows; see the page (static/app.js) for how. */
export interface DashboardState {
  generatedAt: string;
  startedAt: string;
  uptimeSeconds: number;
  sources: {
    aggregator: SourceStatus;
    kafka: SourceStatus;
    tail: SourceStatus;
    stock: SourceStatus;
  };
  stats: StatsCards | null;
  throughput: RatePoint[];
  lag: { groups: LagGroupView[]; total: number; readAt: string | null };
  processes: ProcessRow[];
  recentOrders: RecentOrder[];
  dlq: { topics: DlqTopicView[]; refreshing: boolean; lastReplay: ReplaySummary | null };
  load: LoadStatus & { topic: string };
  stock: StockPanel & { topic: string };
}

export interface CollectorOptions {
  /** The cluster the lag, the tail and the DLQs are read on; its brokers are what the page names. */
  connection: KafkaConnection;
  log: Logger;
  /** The aggregator's base address, e.g. http://127.0.0.1:8083. */
  statsUrl: string;
  ordersTopic: string;
  statusTopic: string;
  dlqTopics: readonly string[];
  /** The stock change log, its values' registry (no stock panel without one), and the low mark. */
  stock: { topic: string; registry: RegistryConnection | undefined; lowStock: number };
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
  /** Replays one rule's group (one replay at a time), then reads the DLQ again. */
  replay(request: ReplayRequest): Promise<ReplaySummary>;
  /** Reads the DLQ topics again now; resolves with the panel. */
  refreshDlq(): Promise<DlqTopicView[]>;
  /** Whether the tail follows the topics (the recent orders fill). */
  readonly tailReady: boolean;
  stop(): Promise<void>;
}

/** The collector's sources, each keeping its own part of the state. */
interface Sources {
  stats: StatsSource;
  lag: LagSource;
  processes: ProcessScraper;
  tail: OrderTail;
  dlq: DlqSource;
  stock: StockSource;
}

/** The dashboard's sources and their loops; see the module doc. */
export function createCollector(options: CollectorOptions): Collector {
  const startedAt = new Date();
  let stopSignal: AbortSignal | undefined;
  const sources = createSources(options, () => stopSignal);
  const loops: Promise<void>[] = [];
  return {
    start(signal) {
      stopSignal = signal;
      loops.push(...startLoops(options, sources, signal));
    },
    state: () => dashboardState(sources, startedAt, options),
    replay: (request) => sources.dlq.replay(request),
    refreshDlq: () => sources.dlq.refresh(),
    get tailReady() {
      return sources.tail.ready;
    },
    async stop() {
      await Promise.allSettled(loops);
      await sources.dlq.settle();
      await sources.tail.close();
      await sources.stock.close();
      await sources.lag.close();
    },
  };
}

function createSources(options: CollectorOptions, signal: () => AbortSignal | undefined): Sources {
  const { connection, log } = options;
  const tailTopics = {
    ordersTopic: options.ordersTopic,
    statusTopic: options.statusTopic,
    dlqTopics: options.dlqTopics,
  };
  return {
    stats: new StatsSource(options.statsUrl),
    lag: new LagSource(options.connection, options.lagTargets),
    processes: new ProcessScraper(options.scrapeTargets),
    tail: new OrderTail(connection, tailTopics, log, options.recentOrders ?? 15),
    dlq: new DlqSource(connection, options.dlqTopics, {
      log,
      readTimeoutMs: options.readTimeoutMs ?? 60_000,
      signal,
    }),
    stock: new StockSource(connection, { ...options.stock, log }),
  };
}

/** Each source's loop, at its interval; the scrape only when there is something to scrape. */
function startLoops(
  options: CollectorOptions,
  sources: Sources,
  signal: AbortSignal,
): Promise<void>[] {
  const every = (ms: number, step: () => Promise<void>) => repeat(ms, step, signal, options.log);
  const loops = [
    every(options.statsIntervalMs ?? 1000, () => sources.stats.poll()),
    every(options.lagIntervalMs ?? 3000, () => sources.lag.poll()),
  ];
  if (options.scrapeTargets.length) {
    loops.push(every(options.scrapeIntervalMs ?? 2000, () => sources.processes.scrape()));
  }
  loops.push(every(5000, () => sources.tail.follow()));
  loops.push(every(5000, () => sources.stock.follow()));
  loops.push(every(options.dlqIntervalMs ?? 15_000, async () => void await sources.dlq.refresh()));
  return loops;
}

/** Runs `step` every `ms` until `signal` aborts; a failing step waits and tries again. */
export async function repeat(
  ms: number,
  step: () => Promise<void>,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  while (!signal.aborted) {
    await step().catch((err) => log.debug("a dashboard source failed", { error: err }));
    await sleep(ms, signal);
  }
}

/** What `GET /api/state` and the SSE stream send, now. */
function dashboardState(
  sources: Sources,
  startedAt: Date,
  options: Pick<CollectorOptions, "load" | "ordersTopic">,
): DashboardState {
  const now = new Date();
  const { stats, lag, dlq } = sources;
  return {
    generatedAt: now.toISOString(),
    startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.floor((now.getTime() - startedAt.getTime()) / 1000),
    sources: structuredClone({
      aggregator: stats.status,
      kafka: lag.status,
      tail: sources.tail.status,
      stock: sources.stock.status,
    }),
    stats: stats.snapshot ? statsCards(stats.snapshot, stats.history) : null,
    throughput: stats.history.points(),
    lag: { groups: lag.lag, total: overallLag(lag.lag), readAt: lag.readAt },
    processes: [...sources.processes.rows.values()],
    recentOrders: sources.tail.recent.list(),
    dlq: { topics: dlq.views, refreshing: dlq.refreshing, lastReplay: dlq.lastReplay },
    load: { ...options.load.status(), topic: options.ordersTopic },
    stock: sources.stock.panel(),
  };
}
