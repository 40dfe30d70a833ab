import assert from "node:assert/strict";
import { DELIVERY_ROUTE, INVENTORY_ROUTE, routeRecord } from "../router/routing_spec.ts";
import { checkRunId, newRunId, taggedOrders } from "./tagged_orders.ts";

const NOW = new Date("2026-06-01T12:00:00Z");

Deno.test("the same run id and count give the same orders (an audit can be repeated later)", () => {
  const a = taggedOrders("r1", 7, NOW), b = taggedOrders("r1", 7, new Date());
  assert.deepEqual(
    a.orders.map((o) => [o.orderId, o.lines, o.dlqReason]),
    b.orders.map((o) => [o.orderId, o.lines, o.dlqReason]),
  );
  assert.equal(a.orders.length, 28);
});

Deno.test("every id carries the run's prefix, every SKU the run's SKU prefix, ids are unique", () => {
  const run = taggedOrders("r2", 20, NOW);
  assert.ok(run.orders.every((o) => o.orderId.startsWith("verify-r2-")));
  assert.equal(new Set(run.orders.map((o) => o.orderId)).size, run.orders.length);
  const skus = run.orders.flatMap((o) => o.lines ?? []).map((l) => l.sku);
  assert.ok(skus.every((s) => run.skus.includes(s) && s.startsWith("VERIFY-r2-")));
  for (const o of run.orders) {
    if (o.dlqReason === "not JSON") assert.throws(() => JSON.parse(o.value));
    else assert.equal(JSON.parse(o.value).orderId, o.orderId);
  }
});

Deno.test("reservations only ever touch the SKU nobody restocks, so they are refused in any order", () => {
  const run = taggedOrders("r3", 30, NOW);
  const lines = run.orders.flatMap((o) => o.lines ?? []);
  const reserved = new Set(lines.filter((l) => l.movement === "RESERVE").map((l) => l.sku));
  const stocked = new Set(lines.filter((l) => l.movement !== "RESERVE").map((l) => l.sku));
  assert.deepEqual([...reserved], ["VERIFY-r3-EMPTY"]);
  assert.ok(!stocked.has("VERIFY-r3-EMPTY"));
  assert.ok(lines.every((l) => (l.movement === "RESERVE") === (l.outcome === "refused")));
});

Deno.test("run ids are letters and digits", () => {
  assert.match(newRunId(), /^[a-z0-9]+$/);
  assert.throws(() => checkRunId("a_b"), /lowercase letters or digits/);
  assert.throws(() => taggedOrders("x", 0), /count/);
});

Deno.test("the product's routers agree with what the run expects (a test only: the audit never asks them)", () => {
  const run = taggedOrders("r4", 10, NOW);
  const bytes = (v: string) => new TextEncoder().encode(v);
  for (const o of run.orders) {
    const inv = routeRecord(INVENTORY_ROUTE, bytes(o.value), 0);
    const del = routeRecord(DELIVERY_ROUTE, bytes(o.value), 0);
    if (o.kind === "inventory") {
      assert.equal(inv.kind, "routed", o.orderId);
      if (inv.kind === "routed") assert.equal(inv.records.length, o.lines!.length);
    } else if (o.kind === "delivery") assert.equal(del.kind, "routed", o.orderId);
    else if (o.kind === "other") assert.deepEqual([inv.kind, del.kind], ["skipped", "skipped"]);
    else {
      const dead = [inv, del].filter((r) => r.kind === "dead-letter");
      assert.equal(dead.length, 1, `${o.orderId}: dead-lettered by exactly one router`);
      assert.ok(dead[0].kind === "dead-letter" && dead[0].reason.includes(o.dlqReason!), o.orderId);
    }
  }
});
