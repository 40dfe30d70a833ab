import assert from "node:assert/strict";
import { classifySendError, IntakeError, orderMessage } from "./intake.ts";
import type { RawOrder } from "../orders/model.ts";

const ORDER: RawOrder = {
  orderId: "ord-1",
  type: "inventory",
  customerId: "cust-7",
  items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 24.99 }],
  createdAt: "2024-06-18T12:34:56+02:00",
};

Deno.test("an order becomes JSON keyed by its id, with a content-type header", () => {
  const message = orderMessage(ORDER);
  assert.equal(message.key, "ord-1");
  assert.deepEqual(JSON.parse(message.value as string), ORDER, "createdAt passes through as is");
  assert.deepEqual(message.headers, { "content-type": "application/json" });
  const broken = { ...ORDER, orderId: 42 } as unknown as RawOrder;
  assert.equal(orderMessage(broken).key, null, "an order without a usable id goes unkeyed");
});

Deno.test("send failures are sorted into what a caller can do about them", () => {
  const tooLarge = Object.assign(new Error("too large"), {
    name: "KafkaJSProtocolError",
    type: "MESSAGE_TOO_LARGE",
    retriable: false,
  });
  assert.equal(classifySendError(tooLarge), "too-large");
  const wrapped = Object.assign(new Error("non retriable"), {
    name: "KafkaJSNonRetriableError",
    cause: tooLarge,
  });
  assert.equal(classifySendError(wrapped), "too-large");
  const refused = Object.assign(new Error("Connection error"), { name: "KafkaJSConnectionError" });
  assert.equal(classifySendError(refused), "unavailable");
  const retries = Object.assign(new Error("retries exceeded"), {
    name: "KafkaJSNumberOfRetriesExceeded",
    cause: refused,
  });
  assert.equal(classifySendError(retries), "unavailable");
  const invalid = Object.assign(new Error("invalid record"), {
    name: "KafkaJSProtocolError",
    type: "INVALID_RECORD",
    retriable: false,
  });
  assert.equal(classifySendError(invalid), "failed");
  assert.equal(classifySendError(new IntakeError("closed", "closed")), "closed");
});
