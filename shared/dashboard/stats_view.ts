/**
 * The big numbers: what the dashboard's cards show, from the aggregator's
 * snapshot (shared/aggregate/snapshot.ts) and the rates of the throughput
 * history. Producer side: orders that came in (valid, invalid, by type) and
 * their rate; consumer side: status events, successes, refusals, retries,
 * dead letters, the running average price and revenue. Pure.
 *
 * @example
 * ```ts
 * import { statsCards, totalsOf } from "./stats_view.ts";
 * import { ThroughputHistory } from "./throughput.ts";
 * import { statsSnapshot } from "../aggregate/snapshot.ts";
 * import { emptyState } from "../aggregate/state.ts";
 * const snapshot = statsSnapshot(emptyState(), { topN: 5 });
 * totalsOf(snapshot, 0).orders; // 0
 * statsCards(snapshot, new ThroughputHistory()).producer.ordersIn; // 0
 * ```
 * @module
 */
import type { StatsSnapshot } from "../aggregate/snapshot.ts";
import type { ThroughputHistory, TotalsSample } from "./throughput.ts";

/** Every record that came in on `orders`: valid, invalid and unreadable alike. */
function ordersIn(s: StatsSnapshot): number {
  return s.orders.count + s.orders.invalid + s.orders.unparseable;
}

/** The totals the throughput chart follows, from one snapshot. */
export function totalsOf(s: StatsSnapshot, at: number): TotalsSample {
  return {
    at,
    orders: ordersIn(s),
    processed: s.status.processed,
    deadLettered: s.deadLettered.total,
    retried: s.retried.total,
  };
}

/** A name and a count, for the small breakdowns. */
export interface Share {
  name: string;
  count: number;
}

/** What the cards and breakdowns show. */
export interface StatsCards {
  updatedAt: string | null;
  producer: {
    ordersIn: number;
    valid: number;
    invalid: number;
    ratePerSec: number;
    value: number;
    byType: (Share & { value: number })[];
  };
  consumer: {
    events: number;
    processed: number;
    refused: number;
    retried: number;
    deadLettered: number;
    /** Of every outcome (status events and dead letters), the share that succeeded, 0..1. */
    successRate: number;
    processedPerSec: number;
    averagePrice: number;
    sales: number;
    revenue: number;
  };
  deadLetteredByClass: Share[];
  deadLetteredByStage: Share[];
  /** The last tumbling windows of the orders count, oldest first. */
  ordersPerWindow: { windowSeconds: number; windows: { start: string; count: number }[] };
  topProducts: StatsSnapshot["topProducts"];
}

function shares(counts: Record<string, number>): Share[] {
  return Object.entries(counts).map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** Windows the small bar chart shows. */
export const WINDOWS_SHOWN = 30;

/** The cards of `s`, with rates from `history`. Pure. */
export function statsCards(s: StatsSnapshot, history: ThroughputHistory): StatsCards {
  const refused = s.status.refusedForStock + s.status.rejected;
  const outcomes = s.status.events + s.deadLettered.total;
  return {
    updatedAt: s.updatedAt,
    producer: {
      ordersIn: ordersIn(s),
      valid: s.orders.count,
      invalid: s.orders.invalid + s.orders.unparseable,
      ratePerSec: history.rate("orders"),
      value: s.orders.value,
      byType: Object.entries(s.orders.byType)
        .map(([name, m]) => ({ name, count: m.count, value: m.value }))
        .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
    },
    consumer: {
      events: s.status.events,
      processed: s.status.processed,
      refused,
      retried: s.retried.total,
      deadLettered: s.deadLettered.total,
      successRate: outcomes === 0 ? 0 : Math.round((s.status.processed / outcomes) * 1000) / 1000,
      processedPerSec: history.rate("processed"),
      averagePrice: s.orders.averagePrice,
      sales: s.sales.count,
      revenue: s.sales.revenue,
    },
    deadLetteredByClass: shares(s.deadLettered.byClass),
    deadLetteredByStage: shares(s.deadLettered.byStage),
    ordersPerWindow: {
      windowSeconds: s.ordersPerWindow.windowSeconds,
      windows: s.ordersPerWindow.windows.slice(-WINDOWS_SHOWN),
    },
    topProducts: s.topProducts.slice(0, 5),
  };
}
