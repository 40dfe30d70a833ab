/**
 * The delivery lifecycle as a pure function: given where a delivery is and
 * the status an event asks for, say whether to apply it, ignore it as a
 * duplicate, or refuse it with a reason a person can read.
 *
 *     scheduled → dispatched → in_transit → delivered
 *         └───────────┴────────────┴──────→ failed
 *
 * The first event of a delivery must be `scheduled`; `delivered` and
 * `failed` are terminal. An event with the same id and status as the one
 * that produced the current state is a duplicate (a redelivered record).
 *
 * @example
 * ```ts
 * import { nextDeliveryStatus } from "./delivery_lifecycle.ts";
 * nextDeliveryStatus(undefined, { status: "scheduled", eventId: "e1" });
 * // { kind: "apply", from: undefined, to: "scheduled" }
 * nextDeliveryStatus({ status: "delivered", lastEventId: "e4" }, { status: "dispatched", eventId: "e5" });
 * // { kind: "refuse", reason: "cannot go from delivered to dispatched" }
 * ```
 * @module
 */

/** Every status a delivery can have, in lifecycle order. */
export const DELIVERY_STATUSES = [
  "scheduled",
  "dispatched",
  "in_transit",
  "delivered",
  "failed",
] as const;
/** A delivery's status. */
export type DeliveryStatus = typeof DELIVERY_STATUSES[number];

/** Statuses nothing follows. */
export const TERMINAL_STATUSES: readonly DeliveryStatus[] = ["delivered", "failed"];

/** The one status each non-terminal status moves forward to (besides `failed`). */
const FORWARD: Partial<Record<DeliveryStatus, DeliveryStatus>> = {
  scheduled: "dispatched",
  dispatched: "in_transit",
  in_transit: "delivered",
};

/** Whether `value` names a delivery status. */
export function isDeliveryStatus(value: string): value is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(value);
}

/** Where a delivery is now: its status and the id of the event that set it. */
export interface DeliveryState {
  status: DeliveryStatus;
  lastEventId: string;
}

/** What an event asks for. */
export interface RequestedStatus {
  status: DeliveryStatus;
  eventId: string;
}

/** The verdict on one event. */
export type DeliveryDecision =
  | { kind: "apply"; from: DeliveryStatus | undefined; to: DeliveryStatus }
  | { kind: "duplicate" }
  | { kind: "refuse"; reason: string };

/** Whether going from `from` to `to` is a legal step of the lifecycle. */
export function isLegalTransition(from: DeliveryStatus, to: DeliveryStatus): boolean {
  if (TERMINAL_STATUSES.includes(from)) return false;
  return to === "failed" || FORWARD[from] === to;
}

/** Decides what an event does to a delivery; see the module doc. */
export function nextDeliveryStatus(
  current: DeliveryState | undefined,
  requested: RequestedStatus,
): DeliveryDecision {
  const to = requested.status;
  if (current === undefined) {
    return to === "scheduled"
      ? { kind: "apply", from: undefined, to }
      : { kind: "refuse", reason: `a delivery must be scheduled first, not ${to}` };
  }
  const from = current.status;
  if (from === to) {
    return requested.eventId === current.lastEventId
      ? { kind: "duplicate" }
      : { kind: "refuse", reason: `already ${from}` };
  }
  if (isLegalTransition(from, to)) return { kind: "apply", from, to };
  return { kind: "refuse", reason: `cannot go from ${from} to ${to}` };
}
