import assert from "node:assert/strict";
import { deadLetter } from "../retry/dead_letter.ts";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { clickMessage, createClickGenerator } from "../orders/clicks.ts";
import { createOrderGenerator } from "../orders/generate.ts";
import { statusEvent, statusMessage } from "../orders/status_event.ts";
import {
  covered,
  foldRecord,
  type InputRecord,
  isSale,
  lineCents,
  subscribedTopics,
  topicKind,
  type TopicRoles,
} from "./fold.ts";
import { decodeState, emptyState, encodeState } from "./state.ts";

const ROLES: TopicRoles = {
  orders: "orders",
  status: "order_status",
  clicks: "clicks",
  retry: /-retry-\d+$/,
  dlq: /-dlq$/,
};
const bytes = (s: string) => new TextEncoder().encode(s);
let offset = 0;
const rec = (topic: string, value: string | null, headers?: Record<string, string>) =>
  ({
    topic,
    partition: 0,
    offset: String(offset++),
    value: value === null ? null : bytes(value),
    headers,
  }) satisfies InputRecord;

Deno.test("topicKind and subscribedTopics: names first, then patterns", () => {
  assert.equal(topicKind("orders", ROLES), "orders");
  assert.equal(topicKind("order_status", ROLES), "status");
  assert.equal(topicKind("clicks", ROLES), "clicks");
  assert.equal(topicKind("orders-dlq", ROLES), "dlq");
  assert.equal(topicKind("inventory_orders-retry-2", ROLES), "retry");
  assert.equal(topicKind("inventory_orders-retry-2-dlq", ROLES), "dlq");
  assert.equal(topicKind("inventory_orders", ROLES), undefined);
  assert.deepEqual(
    subscribedTopics(
      ["orders", "inventory_orders", "orders-dlq", "__consumer_offsets", "clicks", "x-retry-1"],
      ROLES,
    ),
    ["clicks", "orders", "orders-dlq", "x-retry-1"],
  );
});

Deno.test("fold: orders, values in cents, sales, products, windows", () => {
  const state = emptyState();
  const gen = createOrderGenerator({
    seed: 3,
    mix: { inventory: 4, delivery: 4, return: 2 },
    catalog: DEFAULT_CATALOG,
    invalidRate: 0.1,
    now: () => Date.UTC(2024, 5, 18, 12, 0, 0),
  });
  const samples = Array.from({ length: 400 }, () => gen.nextSample());
  for (const s of samples) foldRecord(state, "orders", rec("orders", JSON.stringify(s.order)), 1);
  foldRecord(state, "orders", rec("orders", "{not json"), 1);
  const valid = samples.filter((s) => s.defect === null).map((s) => s.order);
  const cents = (o: typeof valid[0]) => o.items.reduce((n, i) => n + lineCents(i), 0);
  assert.equal(state.orders.valid.count, valid.length);
  assert.equal(state.orders.valid.cents, valid.reduce((n, o) => n + cents(o), 0));
  assert.equal(state.orders.invalid, samples.length - valid.length);
  assert.equal(state.orders.unparseable, 1);
  const sales = valid.filter((o) =>
    o.type === "delivery" || o.type === "inventory" && (o.movement ?? "reserve") === "reserve"
  );
  assert.deepEqual(valid.filter(isSale), sales);
  assert.equal(state.orders.sales.count, sales.length);
  assert.equal(state.orders.byType.return.count, valid.filter((o) => o.type === "return").length);
  const units: Record<string, number> = {};
  for (const o of sales) for (const i of o.items) units[i.sku] = (units[i.sku] ?? 0) + i.quantity;
  for (const [sku, n] of Object.entries(units)) assert.equal(state.products[sku].units, n, sku);
  assert.deepEqual(state.orders.perWindow.slots, [[Date.UTC(2024, 5, 18, 12, 0, 0), valid.length]]);
  assert.equal(state.records, 401);
});

Deno.test("fold: a record the state covers is not counted again, across a persisted state", () => {
  const state = emptyState();
  const r: InputRecord = { topic: "x-retry-1", partition: 2, offset: "41", value: bytes("v") };
  assert.equal(foldRecord(state, "retry", r, 1), "folded");
  assert.equal(foldRecord(state, "retry", r, 1), "seen");
  const restored = decodeState(encodeState(state));
  assert.equal(covered(restored, r), true);
  assert.equal(covered(restored, { ...r, offset: "42" }), false);
  assert.equal(foldRecord(restored, "retry", { ...r, offset: "40" }, 1), "seen");
  assert.deepEqual(restored.retried, { total: 1, byTopic: { "x-retry-1": 1 } });
  assert.deepEqual(restored.offsets, { "x-retry-1": { "2": 42 } });
});

Deno.test("fold: status events once per eventId, by source:status", () => {
  const state = emptyState();
  const events = [
    statusEvent({ source: "inventory", orderId: "o1", key: "0", status: "reserved", at: 1 }),
    statusEvent({ source: "inventory", orderId: "o1", key: "1", status: "refused", at: 1 }),
    statusEvent({ source: "delivery", orderId: "o2", key: "s", status: "scheduled", at: 1 }),
  ];
  for (const e of [...events, events[0], events[1]]) {
    foldRecord(state, "status", rec("order_status", statusMessage(e).value), 1);
  }
  foldRecord(state, "status", rec("order_status", '{"eventId":1}'), 1);
  assert.equal(state.status.events, 3);
  assert.equal(state.status.duplicates, 2);
  assert.equal(state.status.invalid, 1);
  assert.deepEqual(state.status.byStatus, {
    "inventory:reserved": 1,
    "inventory:refused": 1,
    "delivery:scheduled": 1,
  });
});

Deno.test("fold: dead letters by class, stage and topic; missing headers are unknown", () => {
  const state = emptyState();
  const dl = (errorClass: string, stage: string) =>
    deadLetter(
      { topic: "orders", partition: 0, offset: "1", key: "k", value: bytes("{") },
      { errorClass, reason: "r", stage },
      new Date(0),
    ).headers;
  foldRecord(
    state,
    "dlq",
    rec("orders-dlq", "{", dl("unparseable", "inventory_orders_producer")),
    1,
  );
  foldRecord(
    state,
    "dlq",
    rec("orders-dlq", "{}", dl("validation", "delivery_orders_producer")),
    1,
  );
  foldRecord(state, "dlq", rec("inventory_orders-dlq", "{}", dl("validation", "c")), 1);
  foldRecord(state, "dlq", rec("inventory_orders-dlq", null), 1);
  assert.equal(state.deadLettered.total, 4);
  assert.deepEqual(state.deadLettered.byClass, { unparseable: 1, validation: 2, unknown: 1 });
  assert.deepEqual(state.deadLettered.byTopic, { "orders-dlq": 2, "inventory_orders-dlq": 2 });
  assert.equal(state.deadLettered.byStage.unknown, 1);
});

Deno.test("fold: clicks feed views per product, the sliding window and conversion", () => {
  const state = emptyState();
  const orders = createOrderGenerator({
    seed: 8,
    mix: { delivery: 1 },
    catalog: DEFAULT_CATALOG,
    now: () => Date.UTC(2024, 5, 18, 12, 0, 0),
  });
  const clicks = createClickGenerator({ seed: 8, catalog: DEFAULT_CATALOG, viewsPerOrder: 3 });
  let views = 0;
  for (let i = 0; i < 50; i++) {
    const order = orders.next();
    for (const c of clicks.forOrder(order)) {
      foldRecord(state, "clicks", rec("clicks", clickMessage(c).value), 1);
      views++;
    }
    foldRecord(state, "orders", rec("orders", JSON.stringify(order)), 1);
  }
  foldRecord(state, "clicks", rec("clicks", "nope"), 1);
  assert.equal(state.clicks.views, views);
  assert.equal(state.clicks.invalid, 1);
  assert.equal(Object.values(state.products).reduce((n, p) => n + p.views, 0), views);
  assert.ok(state.clicks.conversion.convertedPairs > 0);
  assert.ok(state.clicks.conversion.convertedPairs <= state.clicks.conversion.viewedPairs);
});

Deno.test("fold: SKUs beyond maxProducts are counted together", () => {
  const state = emptyState({ ...emptyState().limits, maxProducts: 2 });
  for (const sku of ["a", "b", "c", "d"]) {
    const click = { clickId: "x", userId: "u", productId: sku, timestamp: "2024-01-01T00:00:00Z" };
    foldRecord(state, "clicks", rec("clicks", JSON.stringify(click)), 1);
  }
  assert.deepEqual(Object.keys(state.products), ["a", "b", "(other)"]);
  assert.equal(state.products["(other)"].views, 2);
});
