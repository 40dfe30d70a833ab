/**
 * What a customer is told, pure: which status events are worth a message,
 * and the message itself. Everything in a message is derived from its
 * event (its Message-ID from the event id, its Date from the event's time),
 * so a message sent again after a crash is byte for byte the one sent
 * before, and a receiver can recognise it by its Message-ID.
 *
 * @example
 * ```ts
 * import { composeNotification, isCustomerFacing, messageIdOf } from "./notification.ts";
 * const event = { eventId: "inventory:o-1:0", orderId: "o-1", source: "inventory", status: "reserved", at: 0 } as const;
 * isCustomerFacing(event, ["reserved"]); // true
 * messageIdOf(event.eventId, "notifier.example"); // "inventory=3Ao-1=3A0@notifier.example"
 * composeNotification(event, { from: "shop@example.com", to: "ada@example.com", messageIdDomain: "notifier.example" });
 * ```
 * @module
 */
import type { OrderStatusEvent } from "../orders/status_event.ts";

/** The statuses a customer hears about, by default (the list). */
export const CUSTOMER_FACING_STATUSES = [
  "reserved",
  "refused",
  "dispatched",
  "delivered",
  "failed",
] as const;

/** The header that names the event a message tells of (what a reader counts by). */
export const EVENT_ID_HEADER = "X-Order-Event-Id";

/** Whether `event` gets a message. Pure. */
export function isCustomerFacing(
  event: Pick<OrderStatusEvent, "status">,
  statuses: readonly string[],
): boolean {
  return statuses.includes(event.status);
}

/**
 * The Message-ID (without angle brackets) of the message about `eventId`:
 * the id with every character outside letters, digits, `.`, `_` and `-`
 * written `=XX` (RFC 5322's dot-atom has no `:`), at `domain`. Pure.
 */
export function messageIdOf(eventId: string, domain: string): string {
  const local = [...new TextEncoder().encode(eventId)].map((b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9._-]/.test(c) ? c : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
  return `${local}@${domain}`;
}

const SUBJECTS: Record<string, (orderId: string) => string> = {
  reserved: (id) => `Your order ${id}: items reserved`,
  refused: (id) => `Your order ${id}: an item is out of stock`,
  dispatched: (id) => `Your order ${id} is on its way`,
  delivered: (id) => `Your order ${id} has been delivered`,
  failed: (id) => `Your order ${id} could not be delivered`,
};

/** The sentence of the body that says what happened. Pure. */
function statusSentence(event: OrderStatusEvent): string {
  const d = event.detail ?? {};
  const item = typeof d.sku === "string" ? ` (${d.quantity ?? "?"} x ${d.sku})` : "";
  switch (event.status) {
    case "reserved":
      return `We have reserved the items of your order${item}.`;
    case "refused":
      return `We could not reserve part of your order${item}: it is out of stock.`;
    case "dispatched":
      return "Your order has been handed to the carrier.";
    case "delivered":
      return "Your order has been delivered.";
    case "failed":
      return "The carrier could not deliver your order.";
    default:
      return `The status of your order is now: ${event.status}.`;
  }
}

/** Header values are one line of ASCII: anything else would need encoded words. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}

export interface NotificationAddressing {
  from: string;
  to: string;
  messageIdDomain: string;
}

/** One notification, as its envelope and RFC 5322 text. Pure. */
export function composeNotification(
  event: OrderStatusEvent,
  addressing: NotificationAddressing,
): { from: string; to: string; messageId: string; data: string } {
  const messageId = messageIdOf(event.eventId, addressing.messageIdDomain);
  const subject = (SUBJECTS[event.status] ?? ((id) => `Your order ${id}: ${event.status}`))(
    event.orderId,
  );
  const headers = [
    `Message-ID: <${messageId}>`,
    `Date: ${new Date(event.at).toUTCString().replace("GMT", "+0000")}`,
    `From: <${addressing.from}>`,
    `To: <${addressing.to}>`,
    `Subject: ${headerSafe(subject)}`,
    `${EVENT_ID_HEADER}: ${headerSafe(event.eventId)}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
  ];
  const body = [
    "Hello,",
    "",
    headerSafe(statusSentence(event)),
    "",
    `Order: ${headerSafe(event.orderId)}`,
    `Status: ${headerSafe(event.status)}`,
    "",
    "You receive this message because this address was given with the order.",
  ];
  return {
    from: addressing.from,
    to: addressing.to,
    messageId,
    data: [...headers, "", ...body, ""].join("\r\n"),
  };
}
