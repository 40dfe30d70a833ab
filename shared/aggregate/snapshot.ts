/**
 * The dashboard's view of the state: what `GET /stats`, `GET /stats/stream`
 * and the `snapshot` record of `order_stats` carry. Money is in currency
 * units rounded to cents (sums are exact: the state keeps cents); averages
 * are the value over the count, rounded to cents; times are ISO 8601.
 *
 * ```jsonc
 * {
 *   "generatedAt": "2024-06-18T12:40:00.000Z",   // when this snapshot was made
 *   "updatedAt": "2024-06-18T12:39:59.512Z",     // the last fold (null: none yet)
 *   "records": 12345,                            // input records folded
 *   "orders": {
 *     "count": 900, "value": 81234.5, "averagePrice": 90.26,   // valid orders, every type
 *     "invalid": 41, "unparseable": 2,
 *     "byType": { "delivery": { "count": 400, "value": 40000.1, "averagePrice": 100 } }
 *   },
 *   "sales": { "count": 700, "revenue": 70000.25, "averagePrice": 100 },
 *   "ordersPerWindow": { "windowSeconds": 60, "late": 0,
 *     "windows": [{ "start": "2024-06-18T12:39:00.000Z", "count": 120 }] },  // oldest first
 *   "topProducts": [{ "sku": "SKU-1003", "name": "27-inch Monitor", "units": 80, "revenue": 19920, "orders": 61 }],
 *   "status": {
 *     "events": 2000, "processed": 1950, "refusedForStock": 30, "rejected": 20,
 *     "duplicatesIgnored": 4, "invalid": 0,
 *     "byStatus": { "inventory:reserved": 900, "inventory:refused": 30, "delivery:delivered": 300 }
 *   },
 *   "retried": { "total": 12, "byTopic": { "inventory_orders-retry-1": 10 } },
 *   "deadLettered": { "total": 43, "byClass": { "validation": 41, "unparseable": 2 },
 *     "byTopic": { "orders-dlq": 43 }, "byStage": { "inventory_orders_producer": 20 } },
 *   "clicks": {
 *     "views": 2700, "invalid": 0,
 *     "mostViewed": { "windowSeconds": 300, "slideSeconds": 10, "late": 0,
 *       "from": "2024-06-18T12:35:10.000Z", "to": "2024-06-18T12:40:10.000Z",  // null before any view
 *       "products": [{ "sku": "SKU-1001", "name": "Wireless Mouse", "views": 140 }] },
 *     "conversion": { "viewedPairs": 1500, "convertedPairs": 600, "rate": 0.4 },
 *     "byProduct": [{ "sku": "SKU-1001", "name": "Wireless Mouse", "views": 300, "orders": 90, "ordersPerView": 0.3 }]
 *   },
 *   "offsets": { "orders": { "0": 150, "1": 149 } }   // next offset per input partition
 * }
 * ```
 *
 * `processed` is every distinct status event that is not a refusal
 * (`refused` or `rejected`); `refusedForStock` is `inventory:refused`.
 * Ranked lists have at most `topN` entries, ties broken by SKU.
 *
 * @example
 * ```ts
 * import { statsSnapshot } from "./snapshot.ts";
 * import { emptyState } from "./state.ts";
 * statsSnapshot(emptyState(), { topN: 5 }).orders.count; // 0
 * ```
 * @module
 */
import type { ProductLookup } from "../orders/catalog.ts";
import { conversionRate } from "./conversion.ts";
import type { AggregateState, Money } from "./state.ts";
import { topBy, topN } from "./top_n.ts";
import { slidingRange, slidingTotals } from "./windows.ts";

/** Money figures of a count of orders. */
export interface MoneyFigures {
  count: number;
  value: number;
  averagePrice: number;
}

/** See the module doc for an example of every field. */
export interface StatsSnapshot {
  generatedAt: string;
  updatedAt: string | null;
  records: number;
  orders: MoneyFigures & {
    invalid: number;
    unparseable: number;
    byType: Record<string, MoneyFigures>;
  };
  sales: { count: number; revenue: number; averagePrice: number };
  ordersPerWindow: {
    windowSeconds: number;
    late: number;
    windows: { start: string; count: number }[];
  };
  topProducts: { sku: string; name?: string; units: number; revenue: number; orders: number }[];
  status: {
    events: number;
    processed: number;
    refusedForStock: number;
    rejected: number;
    duplicatesIgnored: number;
    invalid: number;
    byStatus: Record<string, number>;
  };
  /** As the state counts them. */
  retried: AggregateState["retried"];
  deadLettered: AggregateState["deadLettered"];
  clicks: {
    views: number;
    invalid: number;
    mostViewed: {
      windowSeconds: number;
      slideSeconds: number;
      late: number;
      from: string | null;
      to: string | null;
      products: { sku: string; name?: string; views: number }[];
    };
    conversion: { viewedPairs: number; convertedPairs: number; rate: number };
    byProduct: {
      sku: string;
      name?: string;
      views: number;
      orders: number;
      ordersPerView: number;
    }[];
  };
  offsets: Record<string, Record<string, number>>;
}

/** Cents to currency units. */
export function fromCents(cents: number): number {
  return Math.round(cents) / 100;
}

/** The average of `m` in currency units, rounded to cents; 0 for no orders. */
export function averagePrice(m: Money): number {
  return m.count === 0 ? 0 : Math.round(m.cents / m.count) / 100;
}

function money(m: Money): MoneyFigures {
  return { count: m.count, value: fromCents(m.cents), averagePrice: averagePrice(m) };
}

/** Ratios are rounded to 4 decimals: the dashboard shows percentages. */
function ratio(a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The dashboard's view of `state`; see the module doc. Pure. */
export function statsSnapshot(
  state: AggregateState,
  options: { topN: number; catalog?: ProductLookup; now?: number },
): StatsSnapshot {
  const named = (sku: string) => {
    const name = options.catalog?.get(sku)?.name;
    return name === undefined ? { sku } : { sku, name };
  };
  const { orders, status, clicks } = state;
  const byStatus = { ...status.byStatus };
  const count = (key: string) => byStatus[key] ?? 0;
  const refusals = Object.entries(byStatus)
    .filter(([k]) => k.endsWith(":refused") || k.endsWith(":rejected"))
    .reduce((n, [, v]) => n + v, 0);
  const range = slidingRange(clicks.window);
  const sales = Object.entries(state.products).filter(([, p]) => p.units > 0);
  return {
    generatedAt: iso(options.now ?? Date.now()),
    updatedAt: state.updatedAt ? iso(state.updatedAt) : null,
    records: state.records,
    orders: {
      ...money(orders.valid),
      invalid: orders.invalid,
      unparseable: orders.unparseable,
      byType: Object.fromEntries(Object.entries(orders.byType).map(([t, m]) => [t, money(m)])),
    },
    sales: {
      count: orders.sales.count,
      revenue: fromCents(orders.sales.cents),
      averagePrice: averagePrice(orders.sales),
    },
    ordersPerWindow: {
      windowSeconds: orders.perWindow.sizeMs / 1000,
      late: orders.perWindow.late,
      windows: orders.perWindow.slots.map(([start, n]) => ({ start: iso(start), count: n })),
    },
    topProducts: topN(sales.map(([sku, p]): [string, number] => [sku, p.units]), options.topN)
      .map(([sku]) => {
        const p = state.products[sku];
        return { ...named(sku), units: p.units, revenue: fromCents(p.cents), orders: p.orders };
      }),
    status: {
      events: status.events,
      processed: status.events - refusals,
      refusedForStock: count("inventory:refused"),
      rejected: Object.entries(byStatus).filter(([k]) => k.endsWith(":rejected"))
        .reduce((n, [, v]) => n + v, 0),
      duplicatesIgnored: status.duplicates,
      invalid: status.invalid,
      byStatus,
    },
    retried: { total: state.retried.total, byTopic: { ...state.retried.byTopic } },
    deadLettered: {
      total: state.deadLettered.total,
      byClass: { ...state.deadLettered.byClass },
      byTopic: { ...state.deadLettered.byTopic },
      byStage: { ...state.deadLettered.byStage },
    },
    clicks: {
      views: clicks.views,
      invalid: clicks.invalid,
      mostViewed: {
        windowSeconds: clicks.window.sizeMs / 1000,
        slideSeconds: clicks.window.slideMs / 1000,
        late: clicks.window.late,
        from: range ? iso(range.from) : null,
        to: range ? iso(range.to) : null,
        products: topN(slidingTotals(clicks.window), options.topN)
          .map(([sku, views]) => ({ ...named(sku), views })),
      },
      conversion: {
        viewedPairs: clicks.conversion.viewedPairs,
        convertedPairs: clicks.conversion.convertedPairs,
        rate: Math.round(conversionRate(clicks.conversion) * 10_000) / 10_000,
      },
      byProduct: topBy(state.products, options.topN, (p) => p.views)
        .filter(([, p]) => p.views > 0)
        .map(([sku, p]) => ({
          ...named(sku),
          views: p.views,
          orders: p.orders,
          ordersPerView: ratio(p.orders, p.views),
        })),
    },
    offsets: structuredClone(state.offsets),
  };
}
