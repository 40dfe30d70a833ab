import assert from "node:assert/strict";
import avro from "avsc";
import {
  foldStock,
  INVENTORY_EVENT_SCHEMA,
  INVENTORY_EVENTS_SUBJECT,
  inventoryEventOf,
  inventoryRecord,
  parseInventoryEvent,
} from "./inventory_event.ts";
import type { AppliedStockChange } from "../store/store.ts";

const change = (c: Partial<AppliedStockChange>): AppliedStockChange => ({
  orderId: "o-1",
  lineIndex: 0,
  sku: "SKU-1",
  quantity: 2,
  movement: "RESERVE",
  onHandAfter: 3,
  sequence: 1,
  at: 1_700_000_000_000,
  ...c,
});

Deno.test("an applied movement becomes an event: a reservation takes, a restock and a release add", () => {
  assert.deepEqual(inventoryEventOf(change({})), {
    sku: "SKU-1",
    quantityChange: -2,
    onHandAfter: 3,
    movement: "RESERVE",
    orderId: "o-1",
    lineIndex: 0,
    sequence: 1,
    at: 1_700_000_000_000,
  });
  assert.equal(inventoryEventOf(change({ movement: "RESTOCK", quantity: 5 })).quantityChange, 5);
  assert.equal(inventoryEventOf(change({ movement: "RELEASE", quantity: 1 })).quantityChange, 1);
  assert.equal(inventoryRecord(inventoryEventOf(change({ sku: "SKU-9" }))).key, "SKU-9");
});

Deno.test("the event fits its Avro schema and round-trips; the subject follows the topic", () => {
  const type = avro.Type.forSchema(INVENTORY_EVENT_SCHEMA as avro.Schema);
  const event = inventoryEventOf(change({ movement: "RELEASE", sequence: 42 }));
  assert.deepEqual({ ...type.fromBuffer(type.toBuffer(event)) }, event);
  assert.equal(INVENTORY_EVENTS_SUBJECT, "inventory-value");
  assert.deepEqual(parseInventoryEvent({ ...event }), event);
  assert.deepEqual(parseInventoryEvent({ ...event, onHandAfter: "3" }), {
    invalid: "onHandAfter: missing or not a number",
  });
});

Deno.test("the fold takes each SKU's highest change number, whatever order events arrive in", () => {
  const events = [
    change({ sku: "A", sequence: 2, onHandAfter: 4, at: 2 }),
    change({ sku: "B", sequence: 1, onHandAfter: 9, at: 1 }),
    change({ sku: "A", sequence: 3, onHandAfter: 1, at: 3 }),
    change({ sku: "A", sequence: 1, onHandAfter: 6, at: 1 }), // late: a retried record
    change({ sku: "A", sequence: 3, onHandAfter: 1, at: 3 }), // again: republished
  ].map(inventoryEventOf);
  const levels = foldStock(new Map(), events);
  assert.deepEqual(Object.fromEntries([...levels].map(([sku, l]) => [sku, l.onHand])), {
    A: 1,
    B: 9,
  });
  assert.deepEqual(levels.get("A"), { sku: "A", onHand: 1, sequence: 3, at: 3 });
  // Folding more into a state leaves the one folded before as it was.
  const later = foldStock(levels, [
    inventoryEventOf(change({ sku: "B", sequence: 2, onHandAfter: 7 })),
  ]);
  assert.equal(later.get("B")?.onHand, 7);
  assert.equal(levels.get("B")?.onHand, 9);
});
