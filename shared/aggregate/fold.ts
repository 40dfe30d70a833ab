/**
 * Folding input records into the {@linkcode AggregateState}: which topic
 * plays which part, what each record adds, and the offset check that makes a
 * restart count nothing twice.
 *
 * What counts (so the figures mean one thing everywhere):
 * - An order's **value** is the sum of its lines' `quantity × unitPrice`, in
 *   whole cents (what routing computes as the total; a given `total` is
 *   within half a cent of it). Orders that fail validation are counted as
 *   `invalid` (not JSON: `unparseable`) and add no value.
 * - A **sale** is a valid delivery order, or a valid inventory order that
 *   reserves stock (`movement` reserve, the default). Restocks, releases,
 *   returns and other kinds are orders but not sales. Revenue, top products
 *   and the order side of conversion count sales only.
 * - Orders per window count valid orders by their `createdAt`.
 * - A **status event** counts once per `eventId`; republished copies are
 *   `duplicates`. A **retried** record is one record on a retry topic; a
 *   **dead letter** one record on a DLQ topic, by its `dlq.error.class`.
 * - A **view** is one record on the clicks topic.
 *
 * @example
 * ```ts
 * import { foldRecord, topicKind } from "./fold.ts";
 * import { emptyState } from "./state.ts";
 * const state = emptyState();
 * const roles = { orders: "orders", status: "order_status", clicks: "clicks", retry: /-retry-\d+$/, dlq: /-dlq$/ };
 * const value = new TextEncoder().encode(JSON.stringify({
 *   orderId: "o-1", type: "delivery", customerId: "c-1", createdAt: "2024-06-18T12:00:00Z",
 *   items: [{ sku: "SKU-1001", quantity: 2, unitPrice: 24.99 }],
 *   delivery: { address: { name: "A", street: "B 1", city: "C", postalCode: "1", country: "NL" },
 *     carrier: "dhl", window: { from: "2024-06-20T10:00:00Z", to: "2024-06-20T12:00:00Z" } },
 * }));
 * foldRecord(state, topicKind("orders", roles)!, { topic: "orders", partition: 0, offset: "0", value }, 0);
 * state.orders.sales.cents; // 4998
 * foldRecord(state, "orders", { topic: "orders", partition: 0, offset: "0", value }, 0); // "seen"
 * ```
 * @module
 */
import { readDeadLetterHeaders } from "../retry/dead_letter.ts";
import { parseStatusEvent } from "../orders/status_event.ts";
import { parseClick } from "../orders/clicks.ts";
import type { LineItem, RawOrder } from "../orders/model.ts";
import { parseOrderJson } from "../orders/validate.ts";
import { addOrder, addView } from "./conversion.ts";
import {
  type AggregateState,
  bump,
  type Money,
  OTHER_PRODUCTS,
  type ProductStats,
} from "./state.ts";
import { addSliding, addTumbling } from "./windows.ts";

/** The part a topic plays for the aggregator. */
export type TopicKind = "orders" | "status" | "clicks" | "retry" | "dlq";

/** Which topics play which part: three by name, retry and DLQ topics by pattern. */
export interface TopicRoles {
  orders: string;
  status: string;
  clicks: string;
  retry: RegExp;
  dlq: RegExp;
}

/** The part `topic` plays; undefined for a topic the aggregator does not read. */
export function topicKind(topic: string, roles: TopicRoles): TopicKind | undefined {
  if (topic === roles.orders) return "orders";
  if (topic === roles.status) return "status";
  if (topic === roles.clicks) return "clicks";
  // A DLQ of a retry topic is a DLQ: the record gave up.
  if (roles.dlq.test(topic)) return "dlq";
  if (roles.retry.test(topic)) return "retry";
  return undefined;
}

/**
 * The topics to subscribe to among `existing`: the three named ones and
 * every match of the patterns (never Kafka's internal `__` topics), sorted.
 */
export function subscribedTopics(existing: readonly string[], roles: TopicRoles): string[] {
  return existing
    .filter((t) => !t.startsWith("__") && topicKind(t, roles) !== undefined)
    .sort();
}

/** The parts of a consumed record the fold reads. */
export interface InputRecord {
  topic: string;
  partition: number;
  offset: string;
  value: Uint8Array | null;
  headers?: Record<string, unknown>;
}

/** Whether the state already covers `record` (its offset is below the next one). */
export function covered(state: AggregateState, record: InputRecord): boolean {
  const next = state.offsets[record.topic]?.[record.partition];
  return next !== undefined && Number(record.offset) < next;
}

/**
 * Folds one record into `state`, unless the state already covers it
 * ("seen"); `now` is the wall-clock time of the fold.
 */
export function foldRecord(
  state: AggregateState,
  kind: TopicKind,
  record: InputRecord,
  now: number,
): "folded" | "seen" {
  if (covered(state, record)) return "seen";
  switch (kind) {
    case "orders":
      foldOrder(state, record.value);
      break;
    case "status":
      foldStatus(state, record.value);
      break;
    case "clicks":
      foldClick(state, record.value);
      break;
    case "retry":
      state.retried.total++;
      bump(state.retried.byTopic, record.topic);
      break;
    case "dlq": {
      const h = readDeadLetterHeaders(record.headers);
      state.deadLettered.total++;
      bump(state.deadLettered.byClass, h.errorClass ?? "unknown");
      bump(state.deadLettered.byStage, h.stage ?? "unknown");
      bump(state.deadLettered.byTopic, record.topic);
      break;
    }
  }
  (state.offsets[record.topic] ??= {})[record.partition] = Number(record.offset) + 1;
  state.records++;
  state.updatedAt = now;
  return "folded";
}

/** A line's value in whole cents. */
export function lineCents(item: Pick<LineItem, "quantity" | "unitPrice">): number {
  return Math.round(item.unitPrice * 100) * item.quantity;
}

/** Whether a (valid) order is a purchase; see the module doc. */
export function isSale(order: RawOrder): boolean {
  return order.type === "delivery" ||
    order.type === "inventory" && (order.movement ?? "reserve") === "reserve";
}

function addMoney(m: Money, cents: number): void {
  m.count++;
  m.cents += cents;
}

function product(state: AggregateState, sku: string): ProductStats {
  if (Object.hasOwn(state.products, sku)) return state.products[sku];
  const key = Object.keys(state.products).length < state.limits.maxProducts ? sku : OTHER_PRODUCTS;
  return Object.hasOwn(state.products, key)
    ? state.products[key]
    : (state.products[key] = { units: 0, cents: 0, orders: 0, views: 0 });
}

function foldOrder(state: AggregateState, value: Uint8Array | null): void {
  const text = value === null ? "" : new TextDecoder().decode(value);
  const result = parseOrderJson(text);
  if (!result.ok) {
    if (result.problems.some((p) => p.path === "" && p.message.startsWith("malformed JSON"))) {
      state.orders.unparseable++;
    } else state.orders.invalid++;
    return;
  }
  const order = result.order;
  const cents = order.items.reduce((sum, item) => sum + lineCents(item), 0);
  const at = Date.parse(order.createdAt);
  addMoney(state.orders.valid, cents);
  const byType = state.orders.byType;
  addMoney(
    Object.hasOwn(byType, order.type) ? byType[order.type] : (byType[order.type] = {
      count: 0,
      cents: 0,
    }),
    cents,
  );
  addTumbling(state.orders.perWindow, at);
  if (!isSale(order)) return;
  addMoney(state.orders.sales, cents);
  const skus = new Set<string>();
  for (const item of order.items) {
    const p = product(state, item.sku);
    p.units += item.quantity;
    p.cents += lineCents(item);
    if (!skus.has(item.sku)) p.orders++;
    skus.add(item.sku);
  }
  for (const sku of skus) addOrder(state.clicks.conversion, order.customerId, sku, at);
}

function foldStatus(state: AggregateState, value: Uint8Array | null): void {
  const event = parseStatusEvent(value);
  if ("invalid" in event) {
    state.status.invalid++;
    return;
  }
  if (!state.status.recentIds.add(event.eventId)) {
    state.status.duplicates++;
    return;
  }
  state.status.events++;
  bump(state.status.byStatus, `${event.source}:${event.status}`);
}

function foldClick(state: AggregateState, value: Uint8Array | null): void {
  const click = parseClick(value);
  if ("invalid" in click) {
    state.clicks.invalid++;
    return;
  }
  state.clicks.views++;
  product(state, click.productId).views++;
  addSliding(state.clicks.window, click.productId, click.at);
  addView(state.clicks.conversion, click.userId, click.productId, click.at);
}
