/**
 * The carrier simulator's logic, as plain functions: which status events it
 * reacts to, the updates a carrier would send for a scheduled delivery
 * (dispatched, in transit, then delivered, or failed with a reason), and
 * their `delivery_events` values with deterministic ids.
 *
 * Whether a delivery fails is decided from its order id (a hash against the
 * failure rate), not by a random draw, so a simulator that restarts and
 * handles a delivery again sends the very same updates, which the delivery
 * consumer then recognises as duplicates by their ids.
 *
 * @example
 * ```ts
 * import { carrierPlan } from "./carrier.ts";
 * carrierPlan("o-1", { failureRate: 0 }).map((s) => s.status);
 * // ["dispatched", "in_transit", "delivered"]
 * ```
 * @module
 */
import type { OrderStatusEvent } from "../orders/status_event.ts";
import type { DeliveryEventStatus, DeliveryEventValue } from "../orders/delivery_event_schema.ts";

/** One update the carrier will send. */
export interface CarrierStep {
  status: DeliveryEventStatus;
  /** Why, for `failed`. */
  reason?: string;
}

/** Why deliveries fail, picked per order. */
export const FAILURE_REASONS = [
  "recipient not at home after three attempts",
  "address not found",
  "parcel damaged in transit",
  "refused by the recipient",
] as const;

/** FNV-1a of a string, as a number in [0, 2^32). Pure. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Whether the delivery of `orderId` fails, at `failureRate` (0..1). Pure and deterministic. */
export function deliveryFails(orderId: string, failureRate: number): boolean {
  if (failureRate <= 0) return false;
  if (failureRate >= 1) return true;
  return fnv1a(`fail:${orderId}`) / 2 ** 32 < failureRate;
}

/** The updates a carrier sends for a scheduled delivery, in order. Pure. */
export function carrierPlan(orderId: string, options: { failureRate: number }): CarrierStep[] {
  const last: CarrierStep = deliveryFails(orderId, options.failureRate)
    ? {
      status: "failed",
      reason: FAILURE_REASONS[fnv1a(`why:${orderId}`) % FAILURE_REASONS.length],
    }
    : { status: "delivered" };
  return [{ status: "dispatched" }, { status: "in_transit" }, last];
}

/** The id of a carrier update: `<orderId>:<status>`, the same on every resend. */
export function carrierEventId(orderId: string, status: DeliveryEventStatus): string {
  return `${orderId}:${status}`;
}

/** The `delivery_events` value of one step. Pure. */
export function carrierEventValue(
  orderId: string,
  step: CarrierStep,
  at: number,
  carrier: string,
): DeliveryEventValue {
  return {
    eventId: carrierEventId(orderId, step.status),
    orderId,
    status: step.status,
    at,
    carrier,
    reason: step.reason ?? null,
  };
}

/**
 * Reads an `order_status` value and returns it when it schedules a
 * delivery (the carrier's cue), else undefined; malformed JSON is ignored
 * too, the status stream is not the carrier's to police. Pure.
 */
export function scheduledDelivery(
  value: Uint8Array | string | null | undefined,
): { orderId: string; carrier: string } | undefined {
  if (value === null || value === undefined) return undefined;
  let e: Partial<OrderStatusEvent>;
  try {
    e = JSON.parse(typeof value === "string" ? value : new TextDecoder().decode(value));
  } catch {
    return undefined;
  }
  if (e === null || typeof e !== "object") return undefined;
  if (e.source !== "delivery" || e.status !== "scheduled" || typeof e.orderId !== "string") {
    return undefined;
  }
  const carrier = e.detail?.carrier;
  return { orderId: e.orderId, carrier: typeof carrier === "string" ? carrier : "unknown" };
}
