import assert from "node:assert/strict";
import { deadLetter, DLQ_HEADERS, MAX_REASON_LENGTH, readDeadLetterHeaders } from "./dlq.ts";

const record = {
  topic: "orders",
  partition: 2,
  offset: "17",
  key: "ord-1",
  value: new TextEncoder().encode("{bad"),
};

Deno.test("a dead letter keeps key and bytes and names origin, stage, class and time", () => {
  const at = new Date("2026-11-21T10:00:00Z");
  const msg = deadLetter(record, {
    errorClass: "validation",
    reason: "items[0].quantity: must be positive",
    stage: "inventory_orders_producer",
  }, at);
  assert.equal(msg.key, "ord-1");
  assert.equal(msg.value, record.value);
  assert.deepEqual(msg.headers, {
    [DLQ_HEADERS.reason]: "items[0].quantity: must be positive",
    [DLQ_HEADERS.errorClass]: "validation",
    [DLQ_HEADERS.stage]: "inventory_orders_producer",
    [DLQ_HEADERS.failedAt]: "2026-11-21T10:00:00.000Z",
    [DLQ_HEADERS.originalTopic]: "orders",
    [DLQ_HEADERS.originalPartition]: "2",
    [DLQ_HEADERS.originalOffset]: "17",
  });
});

Deno.test("an overlong reason is cut to the limit", () => {
  const msg = deadLetter(
    record,
    { errorClass: "validation", reason: "x".repeat(10_000), stage: "s" },
    new Date(0),
  );
  assert.equal(msg.headers[DLQ_HEADERS.reason].length, MAX_REASON_LENGTH);
  assert.ok(msg.headers[DLQ_HEADERS.reason].endsWith("…"));
});

Deno.test("headers read back from Buffers or strings", () => {
  const msg = deadLetter(
    record,
    { errorClass: "unparseable", reason: "r", stage: "s" },
    new Date(0),
  );
  const asBuffers = Object.fromEntries(
    Object.entries(msg.headers).map(([k, v]) => [k, new TextEncoder().encode(v)]),
  );
  const back = readDeadLetterHeaders(asBuffers);
  assert.equal(back.reason, "r");
  assert.equal(back.errorClass, "unparseable");
  assert.equal(back.originalOffset, "17");
  assert.deepEqual(readDeadLetterHeaders(undefined), {});
  assert.equal(readDeadLetterHeaders({ [DLQ_HEADERS.stage]: "x" }).stage, "x");
});
