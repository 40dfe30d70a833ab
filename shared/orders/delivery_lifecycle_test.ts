import assert from "node:assert/strict";
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  isDeliveryStatus,
  isLegalTransition,
  nextDeliveryStatus,
} from "./delivery_lifecycle.ts";

const at = (status: DeliveryStatus, lastEventId = "e0") => ({ status, lastEventId });

Deno.test("the first event must be scheduled", () => {
  assert.deepEqual(nextDeliveryStatus(undefined, { status: "scheduled", eventId: "e1" }), {
    kind: "apply",
    from: undefined,
    to: "scheduled",
  });
  for (const status of DELIVERY_STATUSES.filter((s) => s !== "scheduled")) {
    assert.deepEqual(nextDeliveryStatus(undefined, { status, eventId: "e1" }), {
      kind: "refuse",
      reason: `a delivery must be scheduled first, not ${status}`,
    });
  }
});

Deno.test("the happy path moves forward one step at a time", () => {
  const path: DeliveryStatus[] = ["scheduled", "dispatched", "in_transit", "delivered"];
  for (let i = 1; i < path.length; i++) {
    assert.deepEqual(nextDeliveryStatus(at(path[i - 1]), { status: path[i], eventId: `e${i}` }), {
      kind: "apply",
      from: path[i - 1],
      to: path[i],
    });
  }
});

Deno.test("any non-terminal status may fail", () => {
  for (const from of ["scheduled", "dispatched", "in_transit"] as const) {
    assert.equal(nextDeliveryStatus(at(from), { status: "failed", eventId: "x" }).kind, "apply");
  }
});

Deno.test("skipping, going back and leaving a terminal status are refused with a reason", () => {
  const refusals = [
    ["delivered", "dispatched", "cannot go from delivered to dispatched"],
    ["scheduled", "delivered", "cannot go from scheduled to delivered"],
    ["in_transit", "scheduled", "cannot go from in_transit to scheduled"],
    ["failed", "failed", "already failed"],
    ["failed", "in_transit", "cannot go from failed to in_transit"],
  ] as const;
  for (const [from, status, reason] of refusals) {
    assert.deepEqual(nextDeliveryStatus(at(from), { status, eventId: "x" }), {
      kind: "refuse",
      reason,
    });
  }
});

Deno.test("the event that set the current status, seen again, is a duplicate", () => {
  assert.deepEqual(
    nextDeliveryStatus(at("dispatched", "e2"), { status: "dispatched", eventId: "e2" }),
    { kind: "duplicate" },
  );
  // Another event asking for the status the delivery already has is not the same event.
  assert.deepEqual(
    nextDeliveryStatus(at("dispatched", "e2"), { status: "dispatched", eventId: "e3" }),
    { kind: "refuse", reason: "already dispatched" },
  );
});

Deno.test("the transition table, exhaustively", () => {
  const legal = new Set([
    "scheduled>dispatched",
    "scheduled>failed",
    "dispatched>in_transit",
    "dispatched>failed",
    "in_transit>delivered",
    "in_transit>failed",
  ]);
  for (const from of DELIVERY_STATUSES) {
    for (const to of DELIVERY_STATUSES) {
      assert.equal(isLegalTransition(from, to), legal.has(`${from}>${to}`), `${from} → ${to}`);
    }
  }
  assert.ok(isDeliveryStatus("in_transit"));
  assert.ok(!isDeliveryStatus("in transit"));
});
