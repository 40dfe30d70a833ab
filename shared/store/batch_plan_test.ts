import assert from "node:assert/strict";
import { firstOfEachLine, lineKey, planMovements, planTransitions } from "./batch_plan.ts";
import type { StockMovementEffect } from "./store.ts";

const line = (
  orderId: string,
  lineIndex: number,
  sku: string,
  quantity: number,
  movement: StockMovementEffect["movement"] = "RESERVE",
): StockMovementEffect => ({ orderId, lineIndex, sku, quantity, movement });

Deno.test("movements apply in batch order: a reservation sees what the lines before it left", () => {
  const batch = [
    line("o-1", 0, "A", 3),
    line("o-2", 0, "A", 3), // 2 left: refused, nothing taken
    line("o-3", 0, "A", 1, "RESTOCK"),
    line("o-4", 0, "A", 3), // 3 left: taken
    line("o-5", 0, "B", 1, "RELEASE"),
  ];
  const claimed = new Set(batch.map((m) => lineKey(m.orderId, m.lineIndex)));
  const plan = planMovements(batch, claimed, new Map([["A", 5]]));
  assert.equal(plan.applied, 4);
  assert.equal(plan.duplicates, 0);
  assert.deepEqual(plan.refused, [
    { orderId: "o-2", lineIndex: 0, sku: "A", requested: 3, available: 2 },
  ]);
  assert.deepEqual([...plan.stock], [["A", 0], ["B", 1]]);
});

Deno.test("a line recorded before, or twice in the batch, counts once and changes nothing more", () => {
  const batch = [line("o-1", 0, "A", 1), line("o-1", 0, "A", 1), line("o-0", 0, "A", 1)];
  // o-0/0 was recorded by an earlier batch: the claim did not return it.
  const plan = planMovements(batch, new Set([lineKey("o-1", 0)]), new Map([["A", 5]]));
  assert.equal(plan.applied, 1);
  assert.equal(plan.duplicates, 2);
  assert.deepEqual([...plan.stock], [["A", 4]]);
  assert.deepEqual(firstOfEachLine(batch).map((m) => m.orderId), ["o-1", "o-0"]);
});

Deno.test("a delivery's events run through the lifecycle in batch order", () => {
  const plan = planTransitions(
    [
      { eventId: "e1", orderId: "d-1", status: "scheduled", at: 1 },
      { eventId: "e2", orderId: "d-1", status: "dispatched", at: 2 },
      { eventId: "e2", orderId: "d-1", status: "dispatched", at: 2 }, // redelivered
      { eventId: "e3", orderId: "d-1", status: "scheduled", at: 3 }, // backwards
      { eventId: "e4", orderId: "d-2", status: "delivered", at: 4 }, // existing row
      { eventId: "e0", orderId: "d-2", status: "in_transit", at: 5 }, // recorded before
    ],
    new Set(["e0"]),
    new Map([["d-2", { status: "in_transit", lastEventId: "e0" }]]),
  );
  assert.deepEqual(plan.applied.map((a) => `${a.eventId} ${a.from ?? "-"}→${a.to}`), [
    "e1 -→scheduled",
    "e2 scheduled→dispatched",
    "e4 in_transit→delivered",
  ]);
  assert.equal(plan.duplicates, 2);
  assert.deepEqual(plan.refused.map((r) => [r.eventId, r.from]), [["e3", "dispatched"]]);
  assert.deepEqual(plan.deliveries, [
    {
      orderId: "d-1",
      status: "dispatched",
      lastEventId: "e2",
      createdAt: 1,
      updatedAt: 2,
      existed: false,
    },
    {
      orderId: "d-2",
      status: "delivered",
      lastEventId: "e4",
      createdAt: 4,
      updatedAt: 4,
      existed: true,
    },
  ]);
  assert.deepEqual(plan.events.map((e) => `${e.eventId} ${e.outcome}`), [
    "e1 applied",
    "e2 applied",
    "e3 refused",
    "e4 applied",
  ]);
});

Deno.test("an event first refused stays a duplicate when it comes again in the batch", () => {
  const plan = planTransitions(
    [
      { eventId: "e1", orderId: "d-1", status: "dispatched", at: 1 },
      { eventId: "e1", orderId: "d-1", status: "dispatched", at: 1 },
    ],
    new Set(),
    new Map(),
  );
  assert.equal(plan.refused.length, 1);
  assert.equal(plan.duplicates, 1);
  assert.deepEqual(plan.deliveries, []);
});

Deno.test("each applied movement carries what it left and its SKU's next change number", () => {
  const batch = [
    line("o-1", 0, "A", 2),
    line("o-2", 0, "A", 9), // refused: no change, no number
    line("o-3", 0, "B", 4, "RESTOCK"),
    line("o-4", 0, "A", 1, "RELEASE"),
  ];
  const claimed = new Set(batch.map((m) => lineKey(m.orderId, m.lineIndex)));
  const plan = planMovements(batch, claimed, new Map([["A", 5]]), new Map([["A", 7]]));
  assert.deepEqual(
    plan.changes.map((c) => [c.orderId, c.sku, c.onHandAfter, c.sequence]),
    [["o-1", "A", 3, 8], ["o-3", "B", 4, 1], ["o-4", "A", 4, 9]],
  );
  assert.deepEqual([...plan.sequences], [["A", 9], ["B", 1]]);
});
