import assert from "node:assert/strict";
import {
  auditOrder,
  distinctIds,
  NOTHING_SEEN,
  nowhere,
  orderFindings,
  type SeenOrder,
} from "./audit_order.ts";
import { ordersOf } from "./audit.ts";
import { taggedOrders } from "./tagged_orders.ts";

const run = taggedOrders("u1", 1, new Date("2026-06-01T12:00:00Z"));
const [other] = ordersOf(run, "other");
const [delivery] = ordersOf(run, "delivery");

Deno.test("once: missing is lost, more than one is duplicated with where, one is fine", () => {
  const f = orderFindings(other);
  assert.equal(f.once(0, "dlq", "the dead letter"), false);
  assert.equal(f.once(1, "dlq", "the dead letter"), true);
  assert.equal(f.once(2, "dlq", "the dead letter", ["dlq/0@1", "dlq/0@2"]), true);
  assert.deepEqual(f.found.map((x) => [x.problem, x.where, x.detail]), [
    ["lost", "dlq", "the dead letter: missing"],
    ["duplicated", "dlq", "the dead letter: 2 times (dlq/0@1, dlq/0@2)"],
  ]);
  assert.ok(f.found.every((x) => x.orderId === other.orderId && x.kind === "other"));
});

Deno.test("nowhere names the store's tables and where each record was read", () => {
  const f = orderFindings(other);
  const seen: SeenOrder = {
    ...NOTHING_SEEN,
    dlq: [{ orderId: other.orderId, reason: "x", at: "dlq/0@7" }],
    deliveries: [{ orderId: other.orderId, status: "scheduled" }],
  };
  nowhere(seen, ["inventory", "dlq", "deliveries"], f);
  assert.deepEqual(f.found.map((x) => [x.problem, x.where, x.detail]), [
    ["wrong", "dlq", "must not be here, found 1 (dlq/0@7)"],
    ["wrong", "store (deliveries)", "must not be here, found 1"],
  ]);
});

Deno.test("distinctIds keeps the first event of each id", () => {
  const e = (eventId: string, status: string) => ({
    eventId,
    orderId: "o",
    source: "delivery",
    status,
  });
  assert.deepEqual(distinctIds([e("a", "1"), e("b", "2"), e("a", "3")]), [
    e("a", "1"),
    e("b", "2"),
  ]);
});

Deno.test("an order of another type is routed and applied nowhere", () => {
  assert.deepEqual(auditOrder(other, NOTHING_SEEN), { found: [], routed: false, applied: false });
});

Deno.test("a delivery order with nothing read back is lost everywhere it belongs", () => {
  const { found, routed, applied } = auditOrder(delivery, NOTHING_SEEN);
  assert.equal(routed || applied, false);
  assert.deepEqual(found.map((f) => `${f.problem} ${f.where}: ${f.detail}`), [
    "lost delivery_orders: the delivery order: missing",
    "lost store: the row in deliveries: missing",
    "lost store: its scheduled row in delivery_events: missing",
    "lost order_status: its scheduled status event: missing",
  ]);
});

Deno.test("a repeated event id is one duplicate of the stream, a repeated later status another", () => {
  const event = (eventId: string, status: string, at: string) => ({
    eventId,
    orderId: delivery.orderId,
    source: "delivery",
    status,
    at,
  });
  const seen = {
    ...NOTHING_SEEN,
    status: [
      event("s", "scheduled", "st/0@1"),
      event("s", "scheduled", "st/0@2"),
      event("d1", "delivered", "st/0@3"),
      event("d2", "delivered", "st/0@4"),
      event("r1", "rejected", "st/0@5"),
      event("r2", "rejected", "st/0@6"),
    ],
  };
  const dup = auditOrder(delivery, seen).found.filter((f) => f.problem === "duplicated");
  assert.deepEqual(dup.map((f) => f.detail), [
    "event s: 2 times (st/0@1, st/0@2)",
    "status delivered: 2 events (d1, d2)",
  ]);
});
