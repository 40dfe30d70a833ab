import assert from "node:assert/strict";
import {
  composeNotification,
  CUSTOMER_FACING_STATUSES,
  isCustomerFacing,
  messageIdOf,
} from "./notification.ts";
import { splitMessage } from "../dev/smtp_sink.ts";
import type { OrderStatusEvent } from "../orders/status_event.ts";

const reserved: OrderStatusEvent = {
  eventId: "inventory:o-1:0",
  orderId: "o-1",
  source: "inventory",
  status: "reserved",
  at: Date.UTC(2026, 11, 4, 1, 2, 3),
  detail: { sku: "SKU-1", quantity: 2 },
};
const addressing = {
  from: "shop@example.com",
  to: "ada@example.com",
  messageIdDomain: "n.example",
};

Deno.test("only the customer-facing statuses get a message", () => {
  for (const status of CUSTOMER_FACING_STATUSES) {
    assert.ok(isCustomerFacing({ status }, CUSTOMER_FACING_STATUSES));
  }
  for (const status of ["restocked", "released", "scheduled", "in_transit", "rejected"]) {
    assert.equal(isCustomerFacing({ status }, CUSTOMER_FACING_STATUSES), false);
  }
});

Deno.test("a Message-ID is the event id, encoded into a dot-atom, at the domain", () => {
  assert.equal(messageIdOf("inventory:o-1:0", "n.example"), "inventory=3Ao-1=3A0@n.example");
  assert.equal(messageIdOf("delivery:o 2:é", "d"), "delivery=3Ao=202=3A=C3=A9@d");
  assert.notEqual(messageIdOf("a:b", "d"), messageIdOf("a_b", "d"));
});

Deno.test("the same event always makes the same message, naming its event", () => {
  const a = composeNotification(reserved, addressing);
  assert.equal(a.data, composeNotification(reserved, addressing).data);
  const { headers, body } = splitMessage(a.data);
  assert.equal(headers["message-id"], "<inventory=3Ao-1=3A0@n.example>");
  assert.equal(headers["x-order-event-id"], "inventory:o-1:0");
  assert.equal(headers.date, "Fri, 04 Dec 2026 01:02:03 +0000");
  assert.equal(headers.subject, "Your order o-1: items reserved");
  assert.match(body, /reserved the items of your order \(2 x SKU-1\)/);
  assert.equal(a.to, "ada@example.com");
});

Deno.test("what is not ASCII cannot break a header", () => {
  const m = composeNotification({ ...reserved, orderId: "o\r\nBcc: x@y.z" }, addressing);
  assert.equal(splitMessage(m.data).headers.bcc, undefined);
});
