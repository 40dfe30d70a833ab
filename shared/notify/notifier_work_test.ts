import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { recipientsOf } from "./notifier_work.ts";
import type { ConsumedMessage } from "../kafka/records.ts";

const message = (value: string | null): ConsumedMessage => ({
  key: null,
  value: value === null ? null : Buffer.from(value),
  timestamp: "0",
  offset: "0",
  headers: {},
});
const order = (extra: Record<string, unknown>) =>
  JSON.stringify({
    orderId: "o-1",
    type: "inventory",
    customerId: "c-1",
    items: [{ sku: "SKU-1", quantity: 1, unitPrice: 1 }],
    createdAt: "2026-12-04T01:00:00Z",
    ...extra,
  });

Deno.test("a valid order gives its address, or null when it gave none; others give nothing", () => {
  assert.deepEqual(
    recipientsOf([
      message(order({ customerEmail: "ada@example.com" })),
      message(order({ orderId: "o-2" })),
      message("{not json"),
      message(order({ orderId: "o-3", items: [] })),
      message(null),
    ]),
    [{ orderId: "o-1", email: "ada@example.com" }, { orderId: "o-2", email: null }],
  );
});
