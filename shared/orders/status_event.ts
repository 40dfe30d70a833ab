/**
 * Order status events: what the consumers publish to `order_status` (JSON,
 * keyed by order id) whenever they change something about an order, or
 * refuse to. Each event has a deterministic id, so a reader can tell a
 * republished event from a new one. The writer ({@linkcode statusMessage})
 * and the reader ({@linkcode parseStatusEvent}) of the topic's format live
 * here together.
 *
 * @example
 * ```ts
 * import { statusEvent } from "./status_event.ts";
 * const e = statusEvent({ source: "inventory", orderId: "o-1", key: "0", status: "reserved", at: 0 });
 * e.eventId; // "inventory:o-1:0"
 * ```
 * @module
 */
import { parseJsonObject } from "./json_object.ts";

export type StatusSource = "inventory" | "delivery";

export interface OrderStatusEvent {
  /** `<source>:<orderId>:<key>`, the same every time the same change is published. */
  eventId: string;
  orderId: string;
  source: StatusSource;
  /** e.g. reserved, refused, restocked, released; scheduled, dispatched, delivered, rejected. */
  status: string;
  /** Epoch ms of the change. */
  at: number;
  /** Whatever explains it: SKU and quantities, the transition, the reason of a refusal. */
  detail?: Record<string, unknown>;
}

/** Builds an event with its deterministic id. Pure. */
export function statusEvent(
  e: Omit<OrderStatusEvent, "eventId"> & { key: string },
): OrderStatusEvent {
  const { key, ...rest } = e;
  return { eventId: `${e.source}:${e.orderId}:${key}`, ...rest };
}

/** The Kafka message for an event. */
export function statusMessage(e: OrderStatusEvent): { key: string; value: string } {
  return { key: e.orderId, value: JSON.stringify(e) };
}

/** Reads one `order_status` value, or says why it is no status event. Pure. */
export function parseStatusEvent(
  value: Uint8Array | string | null | undefined,
): OrderStatusEvent | { invalid: string } {
  const e = parseJsonObject<OrderStatusEvent>(value, ["eventId", "orderId", "source", "status"]);
  if ("invalid" in e) return e;
  if (typeof e.at !== "number") return { invalid: "at: missing or not a number" };
  return e as OrderStatusEvent;
}
