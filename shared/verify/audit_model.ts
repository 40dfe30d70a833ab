/**
 * The exactly-once audit's vocabulary: what was read back from every output
 * (the {@linkcode Observed} records and rows), what is wrong with an order
 * (a {@linkcode Finding}) and the {@linkcode AuditReport} that sums them up.
 * ./audit.ts re-exports all of it.
 *
 * @example
 * ```ts
 * import { EMPTY_OBSERVED, OUTPUTS } from "./audit_model.ts";
 * EMPTY_OBSERVED.inventory.length; // 0
 * OUTPUTS.dlq; // "dlq"
 * ```
 * @module
 */
import type { Kind } from "./tagged_orders.ts";

/** Where a record was read: `topic/partition@offset`, for findings. */
export type At = { at?: string };

/** A decoded `inventory_orders` record. */
export interface ObservedInventoryRecord extends At {
  orderId: string;
  lineIndex: number;
  sku: string;
  quantity: number;
  movement: string;
  key: string | null;
}

/** A decoded `delivery_orders` record. */
export interface ObservedDeliveryRecord extends At {
  orderId: string;
  customerId: string;
  carrier: string;
  itemCount: number;
  key: string | null;
}

/** A DLQ record: the order id is its key (the original record's key). */
export interface ObservedDeadLetter extends At {
  orderId: string;
  reason: string | undefined;
}

/** An `order_status` event. */
export interface ObservedStatusEvent extends At {
  eventId: string;
  orderId: string;
  source: string;
  status: string;
  /** Inventory events: the line they are about (`detail.lineIndex`). */
  lineIndex?: number;
}

/** The store's rows for the run's orders and SKUs. */
export interface ObservedStore {
  inventoryLines: {
    orderId: string;
    lineIndex: number;
    sku: string;
    movement: string;
    quantity: number;
    outcome: string;
  }[];
  deliveries: { orderId: string; status: string }[];
  deliveryEvents: { eventId: string; orderId: string; toStatus: string; outcome: string }[];
  stock: { sku: string; onHand: number }[];
}

/** Everything read back. */
export interface Observed {
  inventory: ObservedInventoryRecord[];
  delivery: ObservedDeliveryRecord[];
  deadLetters: ObservedDeadLetter[];
  statusEvents: ObservedStatusEvent[];
  store: ObservedStore;
}

export const EMPTY_OBSERVED: Observed = {
  inventory: [],
  delivery: [],
  deadLetters: [],
  statusEvents: [],
  store: { inventoryLines: [], deliveries: [], deliveryEvents: [], stock: [] },
};

export type Problem = "lost" | "duplicated" | "wrong";

/** One thing wrong with one order. */
export interface Finding {
  orderId: string;
  kind: Kind;
  problem: Problem;
  /** The output it is about: a topic role (`inventory_orders`, ...) or `store`. */
  where: string;
  detail: string;
}

/** One summary row. Counts are of orders. */
export interface KindSummary {
  kind: Kind | "total";
  sent: number;
  /** On a target topic (every line, for inventory orders). */
  routed: number;
  /** In the store with the expected outcome, and its status events published. */
  applied: number;
  /** In the DLQ. */
  deadLettered: number;
  lost: number;
  duplicated: number;
  /** Somewhere it must not be, or not as it was sent (a wrong DLQ reason, outcome, field). */
  wrong: number;
}

/** The stock of one of the run's SKUs, three ways. */
export interface StockCheck {
  sku: string;
  /** What the store says. */
  onHand: number;
  /** Its start (0: the SKU is the run's own) plus the applied movements in the store's ledger. */
  ledger: number;
  /** Its start plus what the run sent that must be applied. */
  expected: number;
}

export interface AuditReport {
  kinds: KindSummary[];
  totals: KindSummary;
  findings: Finding[];
  stock: StockCheck[];
  /** Nothing is lost: every expected record, row and event is there. */
  complete: boolean;
  /** Complete, with no duplicate, nothing wrong, and every SKU's stock consistent. */
  ok: boolean;
}

/** The names the findings use for each output. */
export const OUTPUTS = {
  inventory: "inventory_orders",
  delivery: "delivery_orders",
  dlq: "dlq",
  status: "order_status",
  store: "store",
} as const;
