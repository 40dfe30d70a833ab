/**
 * What the delivery data consumer does with a delivery: a routed delivery
 * order (`delivery_orders`) schedules it, a carrier update
 * (`delivery_events`) moves it along its lifecycle (see
 * ../store/delivery_lifecycle.ts). Each event is applied or refused by the
 * store, and said on the order status stream: the new status, or `rejected`
 * with the reason, so an impossible transition is visible and the partition
 * keeps moving. The parameter of the shared loop in ./effect_consumer.ts.
 *
 * Every input event gives exactly one status event, whose id is built from
 * the input's `eventId`; an event the store had seen before is published
 * again, rebuilt from the store's history, with the same id.
 *
 * @example
 * ```ts
 * import { transitionFromAvro } from "./delivery_effects.ts";
 * transitionFromAvro({ orderId: "o-1", carrier: "dhl", createdAt: 1, routedAt: 2 }, "delivery_orders");
 * // { eventId: "scheduled:o-1", orderId: "o-1", status: "scheduled", at: 2, carrier: "dhl" }
 * ```
 * @module
 */
import { DELIVERY_EVENT_STATUSES } from "../orders/delivery_event_schema.ts";
import type { DeliveryHistoryEntry, DeliveryTransition, Store } from "../store/store.ts";
import { type Consumed, type EffectSpec, recordedEvents } from "./effect_consumer.ts";
import { type OrderStatusEvent, statusEvent } from "../orders/status_event.ts";

/** A delivery transition with the carrier it came with (kept in status events, not the store). */
export interface DeliveryEffect extends DeliveryTransition {
  carrier?: string;
}

/** The eventId of the transition a delivery order makes: one per order. */
export function scheduledEventId(orderId: string): string {
  return `scheduled:${orderId}`;
}

/** Epoch ms of a `timestamp-millis` value, whether decoded as a number or a Date. */
function millis(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.getTime();
  return undefined;
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

/**
 * Reads a transition from a decoded Avro value, or says what is wrong. Pure.
 *
 * - a `delivery_orders` value (a routed delivery order) becomes `scheduled`,
 *   eventId `scheduled:<orderId>`, at its `routedAt` (else `createdAt`);
 * - any other topic is read as a `delivery_events` value (a carrier update).
 *   Topics are told apart by their shape rather than their name, so a
 *   renamed topic (a test's own) works: a delivery order has `items`.
 */
export function transitionFromAvro(
  v: Record<string, unknown>,
  _topic: string,
): DeliveryEffect | { invalid: string } {
  const { orderId } = v;
  if (!nonEmpty(orderId)) return { invalid: "orderId must be a non-empty string" };
  const carrier = typeof v.carrier === "string" && v.carrier !== "" ? v.carrier : undefined;
  if (!("status" in v)) {
    // A delivery order: it schedules the delivery.
    const at = millis(v.routedAt) ?? millis(v.createdAt);
    if (at === undefined) {
      return { invalid: `routedAt: is required (or createdAt), got neither in ${orderId}` };
    }
    return {
      eventId: scheduledEventId(orderId),
      orderId,
      status: "scheduled",
      at,
      ...(carrier ? { carrier } : {}),
    };
  }
  const { eventId, status, reason } = v;
  // The validator's shape, `<field>: <rule>, got <value>`, the order last: the DLQ groups by rule.
  if (!nonEmpty(eventId)) {
    return { invalid: `eventId: must be a non-empty string, got ${String(eventId)} in ${orderId}` };
  }
  if (!(DELIVERY_EVENT_STATUSES as readonly unknown[]).includes(status)) {
    return {
      invalid: `status: must be a known delivery status, got ${
        String(status)
      } in ${orderId} (${eventId})`,
    };
  }
  const at = millis(v.at);
  if (at === undefined) {
    return { invalid: `at: must be epoch millis, got ${String(v.at)} in ${orderId} (${eventId})` };
  }
  return {
    eventId,
    orderId,
    status: status as DeliveryEffect["status"],
    at,
    ...(carrier ? { carrier } : {}),
    ...(typeof reason === "string" && reason !== "" ? { reason } : {}),
  };
}

/**
 * The status event of one history entry: the new status when applied,
 * `rejected` with the reason when refused. Fresh and republished events
 * are built here alike, so they are identical. Pure.
 */
export function deliveryStatusEvent(
  orderId: string,
  entry: DeliveryHistoryEntry,
  carrier?: string,
): OrderStatusEvent {
  const from = entry.from === undefined ? {} : { from: entry.from };
  const applied = entry.outcome === "applied";
  return statusEvent({
    source: "delivery",
    orderId,
    key: entry.eventId,
    status: applied ? entry.to : "rejected",
    at: entry.at,
    detail: applied
      ? {
        ...from,
        to: entry.to,
        ...(carrier ? { carrier } : {}),
        ...(entry.reason ? { reason: entry.reason } : {}),
      }
      : {
        ...from,
        requested: entry.to,
        ...(carrier ? { carrier } : {}),
        reason: entry.reason ?? "refused",
      },
  });
}

/** The events of `records`, rebuilt from the store's history by eventId. */
function recordedDeliveryEvents(store: Store, records: readonly Consumed<DeliveryEffect>[]) {
  return recordedEvents(records, (orderId) => store.delivery(orderId), (delivery, record) => {
    const entry = delivery?.history.find((h) => h.eventId === record.eventId);
    return entry && deliveryStatusEvent(record.orderId, entry, record.carrier);
  });
}

export const DELIVERY_EFFECTS: EffectSpec<DeliveryEffect> = {
  script: "delivery_data_consumer",
  fromAvro: transitionFromAvro,
  orderIdOf: (r) => r.orderId,
  async apply(store, position, records) {
    const result = await store.applyDeliveryBatch(
      position,
      records.map(({ record: { carrier: _, ...t } }) => t),
    );
    if (result.fenced) return { fenced: true, storedOffset: result.committedOffset };
    const applied = new Map(result.applied.map((c) => [c.eventId, c]));
    const refused = new Map(result.refused.map((r) => [r.eventId, r]));
    // Events seen before keep their first verdict: read those back.
    const seen = result.duplicates > 0
      ? (await recordedDeliveryEvents(
        store,
        records.filter((r) => !applied.has(r.record.eventId) && !refused.has(r.record.eventId)),
      )).events
      : [];
    const seenById = new Map(seen.map((e) => [e.eventId, e]));
    const events: OrderStatusEvent[] = [];
    for (const { record } of records) {
      const a = applied.get(record.eventId);
      const r = refused.get(record.eventId);
      if (a) {
        events.push(deliveryStatusEvent(record.orderId, {
          eventId: a.eventId,
          from: a.from,
          to: a.to,
          at: a.at,
          outcome: "applied",
          ...(record.reason ? { reason: record.reason } : {}),
        }, record.carrier));
      } else if (r) {
        events.push(deliveryStatusEvent(record.orderId, {
          eventId: r.eventId,
          from: r.from,
          to: r.requested,
          at: record.at,
          outcome: "refused",
          reason: r.reason,
        }, record.carrier));
      } else {
        const e = seenById.get(`delivery:${record.orderId}:${record.eventId}`);
        if (e) events.push(e);
      }
    }
    return { fenced: false, events };
  },
  republish: recordedDeliveryEvents,
};
