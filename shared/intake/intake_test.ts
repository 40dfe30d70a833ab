import assert from "node:assert/strict";
import { intakeSettings, orderMessage } from "./intake.ts";
import { messagesToProduce } from "../kafka/records.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { silentLogger } from "../platform/log.ts";
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
  // As the client sends it: bytes, the header named by bytes too, no key when unkeyed.
  const [record, unkeyed] = messagesToProduce([
    { topic: "orders", messages: [message, orderMessage(broken)] },
  ]);
  assert.equal(record.key?.toString(), "ord-1");
  assert.deepEqual(JSON.parse(record.value!.toString()), ORDER);
  assert.deepEqual(
    [...record.headers as Map<Buffer, Buffer>].map(([k, v]) => [k.toString(), v.toString()]),
    [["content-type", "application/json"]],
  );
  assert.equal(unkeyed.key, undefined);
});

Deno.test("an intake's options take their defaults, and limits out of range are refused", () => {
  const connection: KafkaConnection = { brokers: ["127.0.0.1:9092"], clientId: "test" };
  const base = { connection, log: silentLogger };
  const settings = intakeSettings(base);
  assert.equal(settings.topic, "orders");
  assert.equal(settings.source, "unknown");
  assert.deepEqual(
    [settings.lingerMs, settings.maxBatch, settings.maxBatchBytes, settings.retries],
    [5, 500, 512 * 1024, 5],
  );
  assert.equal(settings.sendTimeoutMs, undefined, "no deadline but the client's own");
  assert.equal(intakeSettings({ ...base, lingerMs: undefined }).lingerMs, 5);
  assert.equal(intakeSettings({ ...base, lingerMs: 0 }).lingerMs, 0);
  assert.throws(() => intakeSettings({ ...base, maxBatch: 0 }), RangeError);
  assert.throws(() => intakeSettings({ ...base, lingerMs: -1 }), RangeError);
  assert.throws(() => intakeSettings({ ...base, retries: 0 }), /idempotent producer/);
});
