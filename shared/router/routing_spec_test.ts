import assert from "node:assert/strict";
import { createOrderGenerator } from "../orders/generate.ts";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE, type RouteOutcome, routeRecord } from "./routing_spec.ts";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const generator = createOrderGenerator({
  seed: 3,
  mix: { inventory: 1, delivery: 1 },
  catalog: DEFAULT_CATALOG,
});
const orders = Array.from({ length: 40 }, () => generator.next());
const inventory = orders.find((o) => o.type === "inventory")!;
const delivery = orders.find((o) => o.type === "delivery")!;

function routed(outcome: RouteOutcome) {
  assert.equal(outcome.kind, "routed", JSON.stringify(outcome));
  return outcome as Extract<RouteOutcome, { kind: "routed" }>;
}

Deno.test("an inventory order becomes one record per line, keyed by SKU", () => {
  const out = routed(routeRecord(INVENTORY_ROUTE, enc(inventory), 1000));
  assert.equal(out.orderId, inventory.orderId);
  assert.equal(out.records.length, inventory.items.length);
  out.records.forEach((r, i) => {
    assert.equal(r.key, inventory.items[i].sku);
    assert.equal(r.value.sku, inventory.items[i].sku);
    assert.equal(r.value.lineIndex, i);
    assert.equal(r.value.lineCount, inventory.items.length);
    assert.equal(r.value.routedAt, 1000);
    assert.ok("warehouse" in r.value, "schema v2 records");
  });
});

Deno.test("a delivery order becomes one record keyed by order id", () => {
  const out = routed(routeRecord(DELIVERY_ROUTE, enc(delivery), 5));
  assert.equal(out.records.length, 1);
  assert.equal(out.records[0].key, delivery.orderId);
  assert.equal(out.records[0].value.carrier, delivery.delivery!.carrier);
});

Deno.test("each route skips the other's orders and other kinds, counting the type", () => {
  assert.deepEqual(routeRecord(INVENTORY_ROUTE, enc(delivery), 0), {
    kind: "skipped",
    type: "delivery",
  });
  assert.deepEqual(routeRecord(DELIVERY_ROUTE, enc({ ...inventory, type: "return" }), 0), {
    kind: "skipped",
    type: "return",
  });
});

Deno.test("an order of a type nobody knows is dead-lettered once, by the inventory route", () => {
  const odd = enc({ ...inventory, type: "gift-card" });
  const owner = routeRecord(INVENTORY_ROUTE, odd, 0);
  assert.equal(owner.kind, "dead-letter");
  if (owner.kind === "dead-letter") {
    assert.equal(owner.errorClass, "validation");
    assert.match(owner.reason, /unknown order type "gift-card"/);
  }
  assert.equal(routeRecord(DELIVERY_ROUTE, odd, 0).kind, "ignored-unparseable");
});

Deno.test("an invalid order of the route's type is dead-lettered with every problem", () => {
  const bad = { ...inventory, items: [{ sku: "SKU-1001", quantity: -2, unitPrice: -1 }] };
  const out = routeRecord(INVENTORY_ROUTE, enc(bad), 0);
  assert.equal(out.kind, "dead-letter");
  if (out.kind !== "dead-letter") return;
  assert.equal(out.errorClass, "validation");
  assert.match(out.reason, /items\[0\]\.quantity/);
  assert.match(out.reason, /items\[0\]\.unitPrice/);
  const noDelivery = { ...delivery, delivery: undefined };
  const out2 = routeRecord(DELIVERY_ROUTE, enc(noDelivery), 0);
  assert.equal(out2.kind, "dead-letter");
  if (out2.kind === "dead-letter") assert.match(out2.reason, /delivery/);
});

Deno.test("unparseable records are dead-lettered by the inventory route only", () => {
  for (const value of ["{nope", "[]", '"x"', "{}", '{"type":7}', ""]) {
    const owner = routeRecord(INVENTORY_ROUTE, enc(value), 0);
    assert.equal(owner.kind, "dead-letter", value);
    if (owner.kind === "dead-letter") assert.equal(owner.errorClass, "unparseable");
    assert.equal(routeRecord(DELIVERY_ROUTE, enc(value), 0).kind, "ignored-unparseable", value);
  }
  assert.equal(routeRecord(INVENTORY_ROUTE, null, 0).kind, "dead-letter");
  const invalidUtf8 = new Uint8Array([0x7b, 0xff, 0x7d]);
  assert.equal(routeRecord(INVENTORY_ROUTE, invalidUtf8, 0).kind, "dead-letter");
});

Deno.test("routing is pure: the same input gives the same outcome", () => {
  const a = routeRecord(INVENTORY_ROUTE, enc(inventory), 42);
  const b = routeRecord(INVENTORY_ROUTE, enc(inventory), 42);
  assert.deepEqual(a, b);
});
