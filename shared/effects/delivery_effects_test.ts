import assert from "node:assert/strict";
import { silentLogger } from "../platform/log.ts";
import { openStore } from "../store/open_store.ts";
import type { BatchPosition, Store } from "../store/store.ts";
import {
  DELIVERY_EFFECTS,
  type DeliveryEffect,
  deliveryStatusEvent,
  scheduledEventId,
  transitionFromAvro,
} from "./delivery_effects.ts";
import type { Consumed } from "./effect_consumer.ts";
import type { OrderStatusEvent } from "../orders/status_event.ts";

const T0 = Date.UTC(2024, 5, 18, 12);

function deliveryOrder(orderId: string, routedAt = T0) {
  return {
    orderId,
    customerId: "c-1",
    items: [{ sku: "SKU-1", productName: "", quantity: 1, unitPrice: 2 }],
    total: 2,
    currency: "EUR",
    address: { name: "A", street: "S 1", city: "C", postalCode: "1000", country: "BE" },
    carrier: "dhl",
    windowFrom: T0,
    windowTo: T0 + 3_600_000,
    createdAt: routedAt - 1000,
    routedAt,
  };
}

function carrierEvent(orderId: string, status: string, at: number, reason: string | null = null) {
  return { eventId: `${orderId}:${status}`, orderId, status, at, carrier: "dhl", reason };
}

/** Decodes like the loop does; fails the test on an invalid value. */
function decoded(value: Record<string, unknown>, topic: string): DeliveryEffect {
  const t = transitionFromAvro(value, topic);
  if ("invalid" in t) throw new Error(t.invalid);
  return t;
}

/** Applies `records` as one batch after the stored offset; returns the events. */
async function applyNext(
  store: Store,
  values: Record<string, unknown>[],
  start: { offset: number },
): Promise<OrderStatusEvent[]> {
  const records: Consumed<DeliveryEffect>[] = values.map((v, i) => ({
    offset: start.offset + i,
    record: decoded(v, "status" in v ? "delivery_events" : "delivery_orders"),
  }));
  const position: BatchPosition = {
    group: "delivery-tracker",
    topic: "t",
    partition: 0,
    firstOffset: start.offset,
    nextOffset: start.offset + values.length,
  };
  const result = await DELIVERY_EFFECTS.apply(store, position, records);
  assert.equal(result.fenced, false);
  start.offset += values.length;
  return (result as { events: OrderStatusEvent[] }).events;
}

async function withStore(fn: (store: Store) => Promise<void>) {
  const store = await openStore({ url: "sqlite::memory:", log: silentLogger });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

Deno.test("a delivery order becomes its scheduled transition", () => {
  assert.deepEqual(transitionFromAvro(deliveryOrder("o-1"), "delivery_orders"), {
    eventId: "scheduled:o-1",
    orderId: "o-1",
    status: "scheduled",
    at: T0,
    carrier: "dhl",
  });
  const { routedAt: _, ...unrouted } = deliveryOrder("o-2");
  assert.equal(
    (transitionFromAvro(unrouted, "delivery_orders") as DeliveryEffect).at,
    T0 - 1000,
    "createdAt when there is no routedAt",
  );
  assert.equal(
    (transitionFromAvro({ ...deliveryOrder("o-3"), routedAt: new Date(T0) }, "x") as DeliveryEffect)
      .at,
    T0,
    "a Date works too (logical types decoded)",
  );
  assert.equal(scheduledEventId("o-1"), "scheduled:o-1");
});

Deno.test("a carrier update becomes its transition, or says what is wrong", () => {
  assert.deepEqual(transitionFromAvro(carrierEvent("o-1", "failed", T0, "no one home"), "e"), {
    eventId: "o-1:failed",
    orderId: "o-1",
    status: "failed",
    at: T0,
    carrier: "dhl",
    reason: "no one home",
  });
  assert.deepEqual(
    transitionFromAvro(carrierEvent("o-1", "dispatched", T0), "e"),
    { eventId: "o-1:dispatched", orderId: "o-1", status: "dispatched", at: T0, carrier: "dhl" },
    "a null reason is left out",
  );
  const invalid = (v: Record<string, unknown>) => {
    const r = transitionFromAvro(v, "delivery_events");
    assert.ok("invalid" in r, JSON.stringify(v));
    return r.invalid;
  };
  assert.equal(
    invalid({ ...carrierEvent("o-1", "lost", T0) }),
    "status: must be a known delivery status, got lost in o-1 (o-1:lost)",
  );
  assert.match(invalid({ ...carrierEvent("o-1", "scheduled", T0) }), /known delivery status/);
  assert.match(invalid({ ...carrierEvent("", "dispatched", T0) }), /orderId/);
  assert.match(invalid({ ...carrierEvent("o-1", "dispatched", T0), eventId: "" }), /eventId/);
  assert.match(
    invalid({ ...carrierEvent("o-1", "dispatched", T0), at: 1.5 }),
    /^at: must be epoch millis, got 1\.5/,
  );
  assert.match(invalid({ orderId: "o-1" }), /^routedAt: is required \(or createdAt\)/);
});

Deno.test("a full lifecycle: one status event per step, with from, to and carrier", async () => {
  await withStore(async (store) => {
    const pos = { offset: 0 };
    const events = await applyNext(store, [
      deliveryOrder("o-1"),
      carrierEvent("o-1", "dispatched", T0 + 1),
      carrierEvent("o-1", "in_transit", T0 + 2),
      carrierEvent("o-1", "delivered", T0 + 3),
    ], pos);
    assert.deepEqual(events, [
      {
        eventId: "delivery:o-1:scheduled:o-1",
        orderId: "o-1",
        source: "delivery",
        status: "scheduled",
        at: T0,
        detail: { to: "scheduled", carrier: "dhl" },
      },
      {
        eventId: "delivery:o-1:o-1:dispatched",
        orderId: "o-1",
        source: "delivery",
        status: "dispatched",
        at: T0 + 1,
        detail: { from: "scheduled", to: "dispatched", carrier: "dhl" },
      },
      {
        eventId: "delivery:o-1:o-1:in_transit",
        orderId: "o-1",
        source: "delivery",
        status: "in_transit",
        at: T0 + 2,
        detail: { from: "dispatched", to: "in_transit", carrier: "dhl" },
      },
      {
        eventId: "delivery:o-1:o-1:delivered",
        orderId: "o-1",
        source: "delivery",
        status: "delivered",
        at: T0 + 3,
        detail: { from: "in_transit", to: "delivered", carrier: "dhl" },
      },
    ]);
    const record = await store.delivery("o-1");
    assert.equal(record?.status, "delivered");
    assert.equal(record?.history.length, 4);
  });
});

Deno.test("a failed delivery keeps the carrier's reason", async () => {
  await withStore(async (store) => {
    const pos = { offset: 0 };
    const events = await applyNext(store, [
      deliveryOrder("o-1"),
      carrierEvent("o-1", "dispatched", T0 + 1),
      carrierEvent("o-1", "failed", T0 + 2, "address not found"),
    ], pos);
    assert.equal(events[2].status, "failed");
    assert.deepEqual(events[2].detail, {
      from: "dispatched",
      to: "failed",
      carrier: "dhl",
      reason: "address not found",
    });
  });
});

Deno.test("impossible transitions are rejected with a reason; later ones still apply", async () => {
  await withStore(async (store) => {
    const pos = { offset: 0 };
    const events = await applyNext(store, [
      { ...carrierEvent("o-2", "dispatched", T0), eventId: "o-2:early" },
      deliveryOrder("o-1"),
      carrierEvent("o-1", "dispatched", T0 + 1),
      carrierEvent("o-1", "in_transit", T0 + 2),
      carrierEvent("o-1", "delivered", T0 + 3),
      { ...carrierEvent("o-1", "dispatched", T0 + 4), eventId: "o-1:dispatched:again" },
      deliveryOrder("o-2"),
      carrierEvent("o-2", "dispatched", T0 + 5),
    ], pos);
    assert.deepEqual(events.map((e) => e.status), [
      "rejected",
      "scheduled",
      "dispatched",
      "in_transit",
      "delivered",
      "rejected",
      "scheduled",
      "dispatched",
    ]);
    assert.deepEqual(events[0].detail, {
      requested: "dispatched",
      carrier: "dhl",
      reason: "a delivery must be scheduled first, not dispatched",
    });
    assert.equal(events[0].eventId, "delivery:o-2:o-2:early");
    assert.deepEqual(events[5].detail, {
      from: "delivered",
      requested: "dispatched",
      carrier: "dhl",
      reason: "cannot go from delivered to dispatched",
    });
    assert.equal((await store.delivery("o-1"))?.status, "delivered", "the refusal changed nothing");
    assert.equal((await store.delivery("o-2"))?.status, "dispatched");
  });
});

Deno.test("an event seen again is published again, rebuilt from the store", async () => {
  await withStore(async (store) => {
    const pos = { offset: 0 };
    const batch = [
      deliveryOrder("o-1"),
      carrierEvent("o-1", "dispatched", T0 + 1),
      { ...carrierEvent("o-1", "delivered", T0 + 2), eventId: "o-1:too-soon" },
    ];
    const first = await applyNext(store, batch, pos);
    // The same records at later offsets (a resend, a DLQ replay): same ids, same verdicts.
    const again = await applyNext(
      store,
      [...batch, carrierEvent("o-1", "in_transit", T0 + 3)],
      pos,
    );
    assert.deepEqual(again.slice(0, 3), first);
    assert.equal(again[3].status, "in_transit", "a new event among duplicates is applied");
    assert.deepEqual(again[3].detail, { from: "dispatched", to: "in_transit", carrier: "dhl" });
    assert.equal((await store.delivery("o-1"))?.history.length, 4);
  });
});

Deno.test("a batch behind the store is fenced; republish rebuilds identical events", async () => {
  await withStore(async (store) => {
    const pos = { offset: 0 };
    const values = [
      deliveryOrder("o-1"),
      deliveryOrder("o-2"),
      carrierEvent("o-1", "dispatched", T0 + 1),
      carrierEvent("o-2", "delivered", T0 + 1),
      carrierEvent("o-1", "failed", T0 + 2, "damaged"),
    ];
    const published = await applyNext(store, values, pos);
    const records = values.map((v, i) => ({
      offset: i,
      record: decoded(v, "status" in v ? "delivery_events" : "delivery_orders"),
    }));
    const replay = await DELIVERY_EFFECTS.apply(store, {
      group: "delivery-tracker",
      topic: "t",
      partition: 0,
      firstOffset: 0,
      nextOffset: values.length,
    }, records);
    assert.deepEqual(replay, { fenced: true, storedOffset: values.length });
    assert.deepEqual(await DELIVERY_EFFECTS.republish(store, records), {
      events: published,
      missing: [],
    });
    // A record the store never saw is reported missing, to be handed off again.
    const unseen = { offset: 9, record: decoded(deliveryOrder("o-9"), "delivery_orders") };
    const partial = await DELIVERY_EFFECTS.republish(store, [records[0], unseen]);
    assert.deepEqual(partial.missing, [unseen]);
    assert.equal(partial.events.length, 1);
  });
});

Deno.test("deliveryStatusEvent builds the same event from a history entry", () => {
  const e = deliveryStatusEvent("o-1", {
    eventId: "x",
    from: undefined,
    to: "dispatched",
    at: 5,
    outcome: "refused",
    reason: "a delivery must be scheduled first, not dispatched",
  });
  assert.deepEqual(e, {
    eventId: "delivery:o-1:x",
    orderId: "o-1",
    source: "delivery",
    status: "rejected",
    at: 5,
    detail: {
      requested: "dispatched",
      reason: "a delivery must be scheduled first, not dispatched",
    },
  });
});
