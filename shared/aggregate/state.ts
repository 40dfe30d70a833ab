/**
 * The aggregator's state: every running figure, the windows, and the next
 * offset of every input partition it covers. It is persisted whole (as JSON,
 * by {@linkcode encodeState}) in the same Kafka transaction as the consumer
 * offsets, so the state and the position in the input never disagree: after
 * a crash the aggregator starts from the last committed state and skips
 * every record below the offsets it holds (see fold.ts). Every part of it is
 * bounded (see {@linkcode StateLimits}).
 *
 * Money is kept in whole cents, so sums are exact.
 *
 * @example
 * ```ts
 * import { decodeState, emptyState, encodeState } from "./state.ts";
 * const state = emptyState();
 * const copy = decodeState(encodeState(state));
 * copy.orders.valid.count; // 0
 * ```
 * @module
 */
import { type ConversionState, emptyConversion } from "./conversion.ts";
import { RecentIds } from "./recent_ids.ts";
import { emptySliding, emptyTumbling, type SlidingCounts, type TumblingCounts } from "./windows.ts";

/** The version of the persisted shape; a state of another version is refused. */
export const STATE_VERSION = 1;

/** The bounds of the state, fixed when it is created (they are part of what it means). */
export interface StateLimits {
  /** Tumbling window of orders per slot: size, and how many slots are kept. */
  ordersWindowMs: number;
  ordersWindowsKept: number;
  /** Sliding window of product views: size and step. */
  viewWindowMs: number;
  viewSlideMs: number;
  /** Status event ids remembered for deduplication. */
  recentEventIds: number;
  /** View-to-order attribution: how long, and how many (user, product) pairs. */
  conversionRetentionMs: number;
  conversionPairs: number;
  /** Products tracked one by one; any further SKU is counted under {@linkcode OTHER_PRODUCTS}. */
  maxProducts: number;
}

export const DEFAULT_LIMITS: StateLimits = {
  ordersWindowMs: 60_000,
  ordersWindowsKept: 60,
  viewWindowMs: 5 * 60_000,
  viewSlideMs: 10_000,
  recentEventIds: 20_000,
  conversionRetentionMs: 60 * 60_000,
  conversionPairs: 20_000,
  maxProducts: 5_000,
};

/** Where SKUs beyond `maxProducts` are counted. */
export const OTHER_PRODUCTS = "(other)";

/** A count of orders and their value. */
export interface Money {
  count: number;
  cents: number;
}

/** One product's figures: sales (units, value, orders) and all-time views. */
export interface ProductStats {
  units: number;
  cents: number;
  orders: number;
  views: number;
}

export interface AggregateState {
  version: typeof STATE_VERSION;
  limits: StateLimits;
  /** Next offset to fold, by topic and partition. */
  offsets: Record<string, Record<string, number>>;
  /** Records folded in all. */
  records: number;
  /** Wall-clock ms of the last fold; 0 before the first. */
  updatedAt: number;
  orders: {
    /** Orders that pass validation, of every type. */
    valid: Money;
    byType: Record<string, Money>;
    /** Purchases: delivery orders, and inventory reservations (see fold.ts). */
    sales: Money;
    /** Orders with bad fields (they end up in the DLQ). */
    invalid: number;
    /** Records that are not JSON at all. */
    unparseable: number;
    /** Valid orders per slot of their `createdAt`. */
    perWindow: TumblingCounts;
  };
  products: Record<string, ProductStats>;
  status: {
    /** Distinct status events. */
    events: number;
    /** Republished copies (an eventId seen before), not counted. */
    duplicates: number;
    invalid: number;
    /** Distinct events by `source:status`, e.g. `inventory:refused`. */
    byStatus: Record<string, number>;
    recentIds: RecentIds;
  };
  retried: { total: number; byTopic: Record<string, number> };
  deadLettered: {
    total: number;
    /** By `dlq.error.class`: validation, unparseable, encoding, database, ... */
    byClass: Record<string, number>;
    byTopic: Record<string, number>;
    byStage: Record<string, number>;
  };
  clicks: {
    views: number;
    invalid: number;
    /** Views per product in the sliding window. */
    window: SlidingCounts;
    conversion: ConversionState;
  };
}

/** A fresh state. */
export function emptyState(limits: StateLimits = DEFAULT_LIMITS): AggregateState {
  return {
    version: STATE_VERSION,
    limits: { ...limits },
    offsets: {},
    records: 0,
    updatedAt: 0,
    orders: {
      valid: { count: 0, cents: 0 },
      byType: {},
      sales: { count: 0, cents: 0 },
      invalid: 0,
      unparseable: 0,
      perWindow: emptyTumbling(limits.ordersWindowMs, limits.ordersWindowsKept),
    },
    products: {},
    status: {
      events: 0,
      duplicates: 0,
      invalid: 0,
      byStatus: {},
      recentIds: new RecentIds(limits.recentEventIds),
    },
    retried: { total: 0, byTopic: {} },
    deadLettered: { total: 0, byClass: {}, byTopic: {}, byStage: {} },
    clicks: {
      views: 0,
      invalid: 0,
      window: emptySliding(limits.viewWindowMs, limits.viewSlideMs),
      conversion: emptyConversion(limits.conversionRetentionMs, limits.conversionPairs),
    },
  };
}

/** A persisted state that cannot be read back. */
export class StateError extends Error {
  override name = "StateError";
}

/** The persisted form: JSON text. */
export function encodeState(state: AggregateState): string {
  return JSON.stringify(state);
}

/** Reads a persisted state back; throws {@linkcode StateError} when it is not one. */
export function decodeState(text: string): AggregateState {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateError(`the persisted state is not JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== "object") throw new StateError("the state is no object");
  if (raw.version !== STATE_VERSION) {
    throw new StateError(
      `the persisted state has version ${raw.version}; this aggregator reads version ${STATE_VERSION}`,
    );
  }
  const state = raw as unknown as AggregateState & { status: { recentIds: unknown } };
  const fresh = emptyState(state.limits ?? DEFAULT_LIMITS);
  for (const part of ["orders", "status", "retried", "deadLettered", "clicks"] as const) {
    if (state[part] === null || typeof state[part] !== "object") {
      throw new StateError(`the persisted state has no ${part}`);
    }
  }
  const ids = state.status.recentIds;
  if (!Array.isArray(ids)) throw new StateError("status.recentIds is not a list");
  return {
    ...fresh,
    ...state,
    status: { ...state.status, recentIds: new RecentIds(fresh.limits.recentEventIds, ids) },
  };
}

/** Adds `n` to `record[key]`; safe for any key (`constructor` included). */
export function bump(record: Record<string, number>, key: string, n = 1): void {
  record[key] = (Object.hasOwn(record, key) ? record[key] : 0) + n;
}
