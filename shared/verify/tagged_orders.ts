/**
 * The orders `deno task verify` sends, and what each must become, written
 * from what is sent (never from the product's routing or validation code,
 * so a bug there cannot agree with itself). Pure.
 *
 * Every order id starts with the run's prefix (`verify-<runId>-`), so the
 * audit sees only its own orders among other traffic, and every SKU starts
 * with the run's SKU prefix (`VERIFY-<runId>-`), so the SKUs start with no
 * stock and no movements but the run's: their final stock is checkable.
 *
 * Four kinds, `count` of each:
 * - `inventory`: restocks and releases (always applied) and reservations of
 *   a SKU nobody restocks (always refused), one to three lines each;
 * - `delivery`: valid delivery orders;
 * - `invalid`: orders the routers dead-letter, each with a substring its
 *   `dlq.reason` must contain;
 * - `other`: `return` and `exchange` orders, which no router routes.
 *
 * @example
 * ```ts
 * import { taggedOrders } from "./tagged_orders.ts";
 * const run = taggedOrders("abc123", 4, new Date("2026-01-01T00:00:00Z"));
 * run.orders.length; // 16
 * run.orders[0].orderId; // "verify-abc123-inventory-0"
 * run.orders[0].lines?.[0].outcome; // "applied"
 * ```
 * @module
 */

/** The kinds of order a run sends. */
export const KINDS = ["inventory", "delivery", "invalid", "other"] as const;
export type Kind = typeof KINDS[number];

export type Movement = "RESERVE" | "RESTOCK" | "RELEASE";

/** One line of an inventory order, and what it must become. */
export interface ExpectedLine {
  lineIndex: number;
  sku: string;
  quantity: number;
  movement: Movement;
  /** The store's verdict: a restock or release is applied, a reservation of an empty SKU refused. */
  outcome: "applied" | "refused";
  /** The status its event on `order_status` must carry. */
  status: "restocked" | "released" | "refused";
}

/** One order a run sends: its key and exact bytes, and what must come of it. */
export interface TaggedOrder {
  orderId: string;
  kind: Kind;
  /** The raw value, as sent to the orders topic (JSON, or deliberately not). */
  value: string;
  /** Inventory orders: every line. */
  lines?: ExpectedLine[];
  /** Delivery orders: what the routed record must carry. */
  delivery?: { customerId: string; carrier: string; itemCount: number };
  /** Invalid orders: a substring the `dlq.reason` header must contain. */
  dlqReason?: string;
}

/** Everything one run sends. */
export interface TaggedRun {
  runId: string;
  /** Every order id starts with it. */
  prefix: string;
  /** Every SKU starts with it. */
  skuPrefix: string;
  /** The SKUs the run touches; each starts with no stock. */
  skus: string[];
  count: number;
  orders: TaggedOrder[];
}

/** A fresh run id: letters and digits only, so it is safe in ids, SKUs and SQL LIKE patterns. */
export function newRunId(now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(4));
  return now.toString(36) + Array.from(random, (b) => b.toString(36).padStart(2, "0")).join("");
}

const RUN_ID = /^[a-z0-9]{1,40}$/;

/** Throws unless `runId` is letters and digits (what {@linkcode newRunId} makes). */
export function checkRunId(runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new RangeError(`run id must be 1-40 lowercase letters or digits, got "${runId}"`);
  }
  return runId;
}

/** Restocked SKUs; the empty one is only ever reserved. */
const STOCKED_SKUS = 4;

/** The invalid orders, in turn: how each is broken and what its DLQ reason must say. */
const INVALID_SHAPES: {
  name: string;
  reason: string;
  make(id: string, base: Record<string, unknown>): string;
}[] = [
  {
    name: "negative-quantity",
    reason: "items[0].quantity",
    make: (id, base) =>
      JSON.stringify({
        ...base,
        orderId: id,
        type: "inventory",
        movement: "restock",
        items: [{ ...(base.items as Record<string, unknown>[])[0], quantity: -2 }],
      }),
  },
  {
    name: "no-delivery-details",
    reason: "delivery: is required",
    make: (id, base) => JSON.stringify({ ...base, orderId: id, type: "delivery" }),
  },
  {
    name: "wrong-total",
    reason: "total: must equal the sum",
    make: (id, base) =>
      JSON.stringify({ ...base, orderId: id, type: "inventory", movement: "restock", total: 1 }),
  },
  {
    name: "unknown-type",
    reason: 'unknown order type "inventroy"',
    make: (id, base) => JSON.stringify({ ...base, orderId: id, type: "inventroy" }),
  },
  {
    name: "not-json",
    reason: "not JSON",
    make: (id) => `{"orderId":"${id}","type":"inventory",`,
  },
];

/**
 * The orders of run `runId`, `count` of each kind, in a deterministic
 * interleaving (so the same run id and count give the same orders and
 * expectations: an audit can be repeated later, e.g. after a chaos run).
 * `now` only sets `createdAt` and the delivery windows.
 */
export function taggedOrders(runId: string, count: number, now: Date = new Date()): TaggedRun {
  checkRunId(runId);
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`count must be a whole number ≥ 1, got ${count}`);
  }
  const prefix = `verify-${runId}-`;
  const skuPrefix = `VERIFY-${runId}-`;
  const stocked = Array.from({ length: STOCKED_SKUS }, (_, i) => `${skuPrefix}S${i}`);
  const empty = `${skuPrefix}EMPTY`;
  const createdAt = now.toISOString();
  const day = 86_400_000;
  const base = (i: number) => ({
    customerId: `verify-customer-${i % 7}`,
    createdAt,
    currency: "EUR",
    items: [{ sku: stocked[i % STOCKED_SKUS], quantity: 1, unitPrice: 9.99 }],
  });

  const inventory = (i: number): TaggedOrder => {
    const orderId = `${prefix}inventory-${i}`;
    // Every fifth order reserves the SKU nobody restocks: refused whatever the order of arrival.
    const movement: Movement = i % 5 === 4 ? "RESERVE" : i % 2 === 0 ? "RESTOCK" : "RELEASE";
    const lineCount = 1 + (i % 3);
    const lines: ExpectedLine[] = Array.from({ length: lineCount }, (_, j) => ({
      lineIndex: j,
      sku: movement === "RESERVE" ? empty : stocked[(i + j) % STOCKED_SKUS],
      quantity: 1 + ((i + j) % 4),
      movement,
      outcome: movement === "RESERVE" ? "refused" : "applied",
      status: movement === "RESERVE"
        ? "refused"
        : movement === "RESTOCK"
        ? "restocked"
        : "released",
    }));
    const value = JSON.stringify({
      ...base(i),
      orderId,
      type: "inventory",
      movement: movement.toLowerCase(),
      items: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: 2.5 })),
    });
    return { orderId, kind: "inventory", value, lines };
  };

  const delivery = (i: number): TaggedOrder => {
    const orderId = `${prefix}delivery-${i}`;
    const carrier = ["dhl", "ups", "postnl"][i % 3];
    const items = Array.from({ length: 1 + (i % 2) }, (_, j) => ({
      sku: stocked[(i + j) % STOCKED_SKUS],
      quantity: 1 + j,
      unitPrice: 4.25,
    }));
    const order = {
      ...base(i),
      orderId,
      type: "delivery",
      items,
      delivery: {
        address: {
          name: "Verify Recipient",
          street: "Teststraat 1",
          city: "Utrecht",
          postalCode: "3511 AA",
          country: "NL",
        },
        carrier,
        window: {
          from: new Date(now.getTime() + day).toISOString(),
          to: new Date(now.getTime() + 2 * day).toISOString(),
        },
      },
    };
    return {
      orderId,
      kind: "delivery",
      value: JSON.stringify(order),
      delivery: { customerId: order.customerId, carrier, itemCount: items.length },
    };
  };

  const invalid = (i: number): TaggedOrder => {
    const shape = INVALID_SHAPES[i % INVALID_SHAPES.length];
    const orderId = `${prefix}invalid-${shape.name}-${i}`;
    return {
      orderId,
      kind: "invalid",
      value: shape.make(orderId, base(i)),
      dlqReason: shape.reason,
    };
  };

  const other = (i: number): TaggedOrder => {
    const type = i % 2 === 0 ? "return" : "exchange";
    const orderId = `${prefix}${type}-${i}`;
    return { orderId, kind: "other", value: JSON.stringify({ ...base(i), orderId, type }) };
  };

  const orders: TaggedOrder[] = [];
  for (let i = 0; i < count; i++) {
    orders.push(inventory(i), delivery(i), invalid(i), other(i));
  }
  return { runId, prefix, skuPrefix, skus: [...stocked, empty], count, orders };
}
