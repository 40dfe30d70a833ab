/**
 * The dashboard's sources, each a small object that keeps its own part of
 * the page and fails on its own: the aggregator's `/stats`
 * ({@linkcode StatsSource}), consumer lag ({@linkcode LagSource}), the
 * processes' `/metrics` pages ({@linkcode ProcessScraper}) and the tail of
 * the pipeline's topics ({@linkcode OrderTail}). ./collector.ts runs them in
 * loops; the DLQ panel is ./dlq_source.ts.
 *
 * @example
 * ```ts
 * import { StatsSource } from "./collector_sources.ts";
 * const stats = new StatsSource("http://127.0.0.1:8083");
 * // await stats.poll(); stats.status.ok; stats.snapshot?.producer.ordersIn;
 * ```
 * @module
 */
import { createAdmin, type KafkaAdmin } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import type { StatsSnapshot } from "../aggregate/snapshot.ts";
import type { Logger } from "../platform/log.ts";
import { readLag, startTail, type Tail } from "./kafka_io.ts";
import type { LagGroupView, LagTarget } from "./lag_view.ts";
import { type ProcessRow, processRow, type ScrapeTarget } from "./prometheus.ts";
import { RecentOrders } from "./recent_orders.ts";
import { markFailed, markOk, type SourceStatus, sourceStatus } from "./source_status.ts";
import { totalsOf } from "./stats_view.ts";
import { ThroughputHistory } from "./throughput.ts";

/** The aggregator's `/stats`: the last snapshot, and its totals as the throughput history. */
export class StatsSource {
  readonly status: SourceStatus;
  readonly history: ThroughputHistory = new ThroughputHistory();
  snapshot: StatsSnapshot | undefined;

  constructor(readonly statsUrl: string) {
    this.status = sourceStatus(`${statsUrl}/stats`);
  }

  async poll(): Promise<void> {
    try {
      const res = await fetch(`${this.statsUrl}/stats`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      this.snapshot = await res.json() as StatsSnapshot;
      this.history.add(totalsOf(this.snapshot, Date.now()));
      markOk(this.status);
    } catch (err) {
      markFailed(this.status, err);
    }
  }
}

/** Consumer lag of the pipeline's groups, through one admin client kept while it works. */
export class LagSource {
  readonly status: SourceStatus;
  lag: LagGroupView[] = [];
  readAt: string | null = null;
  #admin: KafkaAdmin | undefined;

  constructor(
    readonly connection: KafkaConnection,
    readonly targets: readonly LagTarget[],
  ) {
    this.status = sourceStatus(connection.brokers.join(","));
  }

  async poll(): Promise<void> {
    try {
      this.#admin ??= createAdmin(this.connection);
      this.lag = await readLag(this.#admin, this.targets);
      this.readAt = new Date().toISOString();
      markOk(this.status);
    } catch (err) {
      markFailed(this.status, err);
      await this.close();
    }
  }

  /** Lets the admin client go; the next poll connects a fresh one. */
  async close(): Promise<void> {
    await this.#admin?.close().catch(() => {});
    this.#admin = undefined;
  }
}

/** The processes' `/metrics` pages, one row each; a page that is down is a row that says so. */
export class ProcessScraper {
  rows: Map<string, ProcessRow> = new Map();

  constructor(readonly targets: readonly ScrapeTarget[]) {}

  async scrape(): Promise<void> {
    const next = new Map<string, ProcessRow>();
    await Promise.all(this.targets.map(async (target) => {
      let text: string | undefined;
      try {
        const res = await fetch(target.url, { signal: AbortSignal.timeout(2000) });
        text = res.ok ? await res.text() : (await res.body?.cancel(), undefined);
      } catch { /* down */ }
      next.set(target.name, processRow(target, text, Date.now(), this.rows.get(target.name)));
    }));
    this.rows = next;
  }
}

/** The topics an {@linkcode OrderTail} follows. */
export interface TailTopics {
  ordersTopic: string;
  statusTopic: string;
  dlqTopics: readonly string[];
}

/** The tail of the orders, status and DLQ topics, filling the recent orders. */
export class OrderTail {
  readonly status: SourceStatus;
  readonly recent: RecentOrders;
  #tail: Tail | undefined;

  constructor(
    readonly connection: KafkaConnection,
    readonly topics: TailTopics,
    readonly log: Logger,
    recentOrders: number,
  ) {
    this.status = sourceStatus([topics.ordersTopic, topics.statusTopic].join(", "));
    this.recent = new RecentOrders(recentOrders);
  }

  /** Whether the tail follows the topics. */
  get ready(): boolean {
    return this.#tail !== undefined;
  }

  /** Starts following, unless it already does. */
  async follow(): Promise<void> {
    if (this.#tail) return;
    const recent = this.recent;
    try {
      this.#tail = await startTail(this.connection, {
        ordersTopic: this.topics.ordersTopic,
        statusTopic: this.topics.statusTopic,
        dlqTopics: this.topics.dlqTopics,
        handlers: {
          order: (value, fallbackId) => recent.addOrder(value, Date.now(), fallbackId),
          status: (event) => recent.addStatus(event),
          deadLetter: (id, reason) => recent.addDeadLetter(id, reason, Date.now()),
        },
        log: this.log,
      });
      markOk(this.status);
    } catch (err) {
      markFailed(this.status, err);
    }
  }

  async close(): Promise<void> {
    await this.#tail?.close();
  }
}
