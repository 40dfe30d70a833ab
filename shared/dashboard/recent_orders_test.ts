import assert from "node:assert/strict";
import type { OrderStatusEvent } from "../orders/status_event.ts";
import { orderTotal, RecentOrders, toneOf } from "./recent_orders.ts";

const order = (orderId: string, type = "inventory") => ({
  orderId,
  type,
  customerId: "cust-1",
  items: [{ sku: "SKU-1", quantity: 2, unitPrice: 24.99 }, {
    sku: "SKU-2",
    quantity: 1,
    unitPrice: 0.1,
  }],
});

const event = (orderId: string, status: string, key: string, at = 5): OrderStatusEvent => ({
  eventId: `inventory:${orderId}:${key}`,
  orderId,
  source: "inventory",
  status,
  at,
  detail: { lineIndex: Number(key), ...(status === "refused" ? { reason: "out of stock" } : {}) },
});

Deno.test("orders are listed newest first with their totals, bounded", () => {
  const recent = new RecentOrders(3);
  for (const id of ["a", "b", "c", "d"]) recent.addOrder(order(id), 1);
  const rows = recent.list();
  assert.deepEqual(rows.map((r) => r.orderId), ["d", "c", "b"]);
  assert.equal(rows[0].total, 50.08);
  assert.equal(rows[0].items, 2);
  assert.equal(rows[0].status, "pending");
  assert.equal(rows[0].tone, "warn");
});

Deno.test("status events summarize like the order status service, once each", () => {
  const recent = new RecentOrders();
  recent.addOrder(order("o-1"), 1);
  recent.addStatus(event("o-1", "reserved", "0"));
  recent.addStatus(event("o-1", "reserved", "0"));
  assert.equal(recent.list()[0].status, "reserved");
  assert.equal(recent.list()[0].tone, "ok");
  recent.addStatus(event("o-1", "refused", "1", 9));
  const row = recent.list()[0];
  assert.equal(row.status, "partially_refused");
  assert.equal(row.reason, "out of stock");
  assert.equal(row.statusAt, 9);
  recent.addStatus(event("unknown", "reserved", "0"));
  assert.equal(recent.has("unknown"), false);
});

Deno.test("dead letters win, other types are not routed, garbage is invalid", () => {
  const recent = new RecentOrders();
  recent.addOrder(order("o-2"), 1);
  recent.addDeadLetter("o-2", "items[0].quantity: must be positive", 7);
  recent.addOrder(order("o-3", "return"), 2);
  recent.addOrder("not an order", 3, "offset 17");
  const [garbage, ret, dead] = recent.list();
  assert.deepEqual([dead.status, dead.tone, dead.reason], [
    "dead-lettered",
    "bad",
    "items[0].quantity: must be positive",
  ]);
  assert.deepEqual([ret.status, ret.tone], ["not routed", "muted"]);
  assert.deepEqual([garbage.orderId, garbage.status, garbage.total], [
    "offset 17",
    "invalid",
    null,
  ]);
});

Deno.test("tones and totals", () => {
  assert.equal(toneOf("delivered"), "ok");
  assert.equal(toneOf("rejected"), "bad");
  assert.equal(toneOf("something new"), "info");
  assert.equal(orderTotal([{ quantity: 3, unitPrice: 0.1 }]), 0.3);
  assert.equal(orderTotal([{ quantity: "3" }]), null);
  assert.equal(orderTotal(undefined), null);
});
