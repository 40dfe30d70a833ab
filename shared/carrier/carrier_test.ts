import assert from "node:assert/strict";
import avro from "avsc";
import {
  carrierEventId,
  carrierEventValue,
  carrierPlan,
  deliveryFails,
  FAILURE_REASONS,
  fnv1a,
  scheduledDelivery,
} from "./carrier.ts";
import { statusEvent } from "../orders/status_event.ts";
import { DELIVERY_EVENT_SCHEMA } from "../orders/delivery_event_schema.ts";

Deno.test("fnv1a is the 32-bit FNV-1a hash", () => {
  assert.equal(fnv1a(""), 0x811c9dc5);
  assert.equal(fnv1a("a"), 0xe40c292c);
  assert.equal(fnv1a("foobar"), 0xbf9cf968);
});

Deno.test("a delivery goes dispatched, in transit, delivered", () => {
  assert.deepEqual(carrierPlan("o-1", { failureRate: 0 }), [
    { status: "dispatched" },
    { status: "in_transit" },
    { status: "delivered" },
  ]);
});

Deno.test("at a failure rate of 1 every delivery fails, with a reason", () => {
  const plan = carrierPlan("o-1", { failureRate: 1 });
  assert.deepEqual(plan.map((s) => s.status), ["dispatched", "in_transit", "failed"]);
  assert.ok((FAILURE_REASONS as readonly string[]).includes(plan[2].reason!));
});

Deno.test("failures are decided per order, deterministically, near the rate", () => {
  const ids = Array.from({ length: 4000 }, (_, i) => `ord-${i}`);
  const failed = ids.filter((id) => deliveryFails(id, 0.1));
  assert.ok(failed.length > 300 && failed.length < 500, `${failed.length} of 4000 at 10%`);
  assert.deepEqual(ids.filter((id) => deliveryFails(id, 0.1)), failed, "the same every time");
  assert.deepEqual(
    carrierPlan("ord-7", { failureRate: 0.5 }),
    carrierPlan("ord-7", {
      failureRate: 0.5,
    }),
  );
  const reasons = new Set(
    failed.map((id) => carrierPlan(id, { failureRate: 0.1 })[2].reason),
  );
  assert.equal(reasons.size, FAILURE_REASONS.length, "every reason shows up");
});

Deno.test("carrier updates are valid delivery_events values with stable ids", () => {
  const type = avro.Type.forSchema(DELIVERY_EVENT_SCHEMA as avro.Schema);
  const v = carrierEventValue("o-1", { status: "failed", reason: "address not found" }, 5, "ups");
  assert.deepEqual(v, {
    eventId: "o-1:failed",
    orderId: "o-1",
    status: "failed",
    at: 5,
    carrier: "ups",
    reason: "address not found",
  });
  assert.ok(type.isValid(v));
  const ok = carrierEventValue("o-1", { status: "in_transit" }, 6, "ups");
  assert.equal(ok.reason, null);
  assert.ok(type.isValid(ok));
  assert.equal(carrierEventId("o-1", "dispatched"), "o-1:dispatched");
  assert.ok(!type.isValid({ ...ok, status: "scheduled" }), "scheduled is not a carrier's");
});

Deno.test("only delivery scheduled events are a carrier's cue", () => {
  const scheduled = statusEvent({
    source: "delivery",
    orderId: "o-1",
    key: "scheduled:o-1",
    status: "scheduled",
    at: 1,
    detail: { to: "scheduled", carrier: "dhl" },
  });
  assert.deepEqual(scheduledDelivery(JSON.stringify(scheduled)), {
    orderId: "o-1",
    carrier: "dhl",
  });
  assert.deepEqual(
    scheduledDelivery(new TextEncoder().encode(JSON.stringify({ ...scheduled, detail: {} }))),
    { orderId: "o-1", carrier: "unknown" },
  );
  assert.equal(
    scheduledDelivery(JSON.stringify({ ...scheduled, status: "dispatched" })),
    undefined,
  );
  assert.equal(scheduledDelivery(JSON.stringify({ ...scheduled, source: "inventory" })), undefined);
  assert.equal(scheduledDelivery("{not json"), undefined);
  assert.equal(scheduledDelivery("null"), undefined);
  assert.equal(scheduledDelivery(null), undefined);
});
