/**
 * The recent-orders table: the last orders seen on the raw `orders` topic,
 * newest first, each with the status the consumers' `order_status` events
 * give it (summarized the way the order status service does, see
 * shared/order_status/order_status_view.ts), or `dead-lettered` once a dead letter with
 * its id shows up. Each row carries a `tone` for its badge, so the page only
 * paints. Bounded: the oldest order leaves when a new one comes. Pure.
 *
 * @example
 * ```ts
 * import { RecentOrders } from "./recent_orders.ts";
 * const recent = new RecentOrders(10);
 * recent.addOrder({ orderId: "o-1", type: "delivery", customerId: "c-1",
 *   items: [{ sku: "SKU-1", quantity: 2, unitPrice: 5 }] }, 1000);
 * recent.addStatus({ eventId: "delivery:o-1:scheduled", orderId: "o-1", source: "delivery",
 *   status: "scheduled", at: 1200 });
 * recent.list()[0]; // { orderId: "o-1", status: "scheduled", tone: "ok", total: 10, ... }
 * ```
 * @module
 */
import type { OrderStatusEvent } from "../orders/status_event.ts";
import { summarize } from "../order_status/order_status_view.ts";
import { isRoutedType } from "../orders/model.ts";

/** The colour family of a status badge. */
export type Tone = "ok" | "info" | "warn" | "bad" | "muted";

/** One row of the table. */
export interface RecentOrder {
  /** The order id, or `offset <n>` for a record without one. */
  orderId: string;
  type: string;
  customerId?: string;
  /** Items, and their sum of quantity × unit price (null when unreadable). */
  items: number;
  total: number | null;
  /** When the dashboard saw it (epoch ms). */
  seenAt: number;
  status: string;
  tone: Tone;
  /** When the status last changed (epoch ms). */
  statusAt: number;
  /** Why it was refused or dead-lettered, when known. */
  reason?: string;
}

const TONES: Record<string, Tone> = {
  reserved: "ok",
  restocked: "ok",
  released: "ok",
  delivered: "ok",
  scheduled: "info",
  dispatched: "info",
  in_transit: "info",
  pending: "warn",
  partially_refused: "warn",
  retrying: "warn",
  refused: "bad",
  rejected: "bad",
  failed: "bad",
  invalid: "bad",
  "dead-lettered": "bad",
  "not routed": "muted",
};

/** The badge tone of a status; unknown statuses are `info`. Pure. */
export function toneOf(status: string): Tone {
  return TONES[status] ?? "info";
}

/** The sum of quantity × unitPrice in cents, as currency units; null when any line is unreadable. */
export function orderTotal(items: unknown): number | null {
  if (!Array.isArray(items)) return null;
  let cents = 0;
  for (const item of items) {
    const q = (item as Record<string, unknown>)?.quantity;
    const p = (item as Record<string, unknown>)?.unitPrice;
    if (typeof q !== "number" || typeof p !== "number") return null;
    cents += Math.round(q * p * 100);
  }
  return cents / 100;
}

interface Row {
  order: Omit<RecentOrder, "status" | "tone" | "statusAt" | "reason">;
  events: OrderStatusEvent[];
  eventIds: Set<string>;
  deadLetter?: { reason: string; at: number };
}

/** Events kept per order; a delivery has a handful, an inventory order one per line. */
const MAX_EVENTS = 50;

export class RecentOrders {
  readonly #rows = new Map<string, Row>();

  constructor(readonly capacity = 50) {}

  /**
   * Adds an order as read from the raw topic (parsed JSON, or anything
   * else: a record that is no order shows as `invalid`). `fallbackId`
   * names a record without an order id.
   */
  addOrder(value: unknown, seenAt: number, fallbackId = `at ${seenAt}`): void {
    const o = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
    const orderId = typeof o.orderId === "string" && o.orderId !== "" ? o.orderId : fallbackId;
    this.#rows.delete(orderId); // a repeated id moves to the top
    this.#rows.set(orderId, {
      order: {
        orderId,
        type: typeof o.type === "string" ? o.type : "?",
        ...(typeof o.customerId === "string" ? { customerId: o.customerId } : {}),
        items: Array.isArray(o.items) ? o.items.length : 0,
        total: orderTotal(o.items),
        seenAt,
      },
      events: [],
      eventIds: new Set(),
    });
    while (this.#rows.size > this.capacity) {
      this.#rows.delete(this.#rows.keys().next().value!);
    }
  }

  /** Adds a status event of a listed order; others (and repeats) change nothing. */
  addStatus(event: OrderStatusEvent): void {
    const row = this.#rows.get(event.orderId);
    if (!row || row.eventIds.has(event.eventId) || row.events.length >= MAX_EVENTS) return;
    row.eventIds.add(event.eventId);
    row.events.push(event);
  }

  /** Marks a listed order as dead-lettered, with the reason. */
  addDeadLetter(orderId: string, reason: string, at: number): void {
    const row = this.#rows.get(orderId);
    if (row) row.deadLetter = { reason, at };
  }

  /** Whether `orderId` is in the table. */
  has(orderId: string): boolean {
    return this.#rows.has(orderId);
  }

  /** The rows, newest first. */
  list(): RecentOrder[] {
    return [...this.#rows.values()].reverse().map(rowView);
  }
}

function rowView(row: Row): RecentOrder {
  const { order } = row;
  if (row.deadLetter) {
    return {
      ...order,
      status: "dead-lettered",
      tone: "bad",
      statusAt: row.deadLetter.at,
      reason: row.deadLetter.reason,
    };
  }
  if (row.events.length > 0) {
    const view = summarize(order.orderId, row.events);
    const refusal = [...row.events].reverse().find((e) =>
      e.status === "refused" || e.status === "rejected"
    );
    const reason = refusal?.detail?.reason;
    return {
      ...order,
      status: view.status,
      tone: toneOf(view.status),
      statusAt: view.updatedAt,
      ...(typeof reason === "string" ? { reason } : {}),
    };
  }
  const status = order.type === "?"
    ? "invalid"
    : isRoutedType(order.type)
    ? "pending"
    : "not routed";
  return { ...order, status, tone: toneOf(status), statusAt: order.seenAt };
}
