import assert from "node:assert/strict";
import {
  deadLetter,
  DLQ_HEADERS,
  MAX_REASON_LENGTH,
  readDeadLetterHeaders,
} from "./dead_letter.ts";

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
    [DLQ_HEADERS.originalKey]: "ord-1",
    [DLQ_HEADERS.attempts]: "1",
    [DLQ_HEADERS.firstFailedAt]: "2026-11-21T10:00:00.000Z",
    [DLQ_HEADERS.replayTopic]: "orders",
  });
});

Deno.test("a dead letter after retries says how many attempts, since when, and where to replay", () => {
  const msg = deadLetter(
    record,
    { errorClass: "database", reason: "connect ECONNREFUSED", stage: "inventory_data_consumer" },
    new Date("2026-11-21T10:00:14Z"),
    {
      attempts: 4,
      firstFailedAt: new Date("2026-11-21T10:00:00Z"),
      replayTopic: "orders-inventory-retry-1",
    },
  );
  assert.equal(msg.headers[DLQ_HEADERS.attempts], "4");
  assert.equal(msg.headers[DLQ_HEADERS.firstFailedAt], "2026-11-21T10:00:00.000Z");
  assert.equal(msg.headers[DLQ_HEADERS.failedAt], "2026-11-21T10:00:14.000Z");
  assert.equal(msg.headers[DLQ_HEADERS.replayTopic], "orders-inventory-retry-1");
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
