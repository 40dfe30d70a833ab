import assert from "node:assert/strict";
import { DLQ_HEADERS } from "./dead_letter.ts";
import { DEFAULT_BACKOFF } from "./backoff.ts";
import { dueAt, handOff, RETRY_HEADERS, retryHistory, type RetryRoute } from "./envelope.ts";

const route: RetryRoute = {
  policy: DEFAULT_BACKOFF,
  retryBase: "inventory_orders",
  dlqTopic: "inventory_orders-dlq",
  stage: "inventory_data_consumer",
};
const value = new Uint8Array([0, 0, 0, 0, 1, 2]);
const original = { topic: "inventory_orders", partition: 4, offset: "99", key: "SKU-1", value };
const transient = {
  kind: "transient" as const,
  errorClass: "database",
  message: "database is locked",
};
const t0 = new Date("2026-11-22T00:00:00Z");

/** What a consumer sees when it reads a handed-off message back. */
const consumedFrom = (topic: string, out: ReturnType<typeof handOff>) => ({
  topic,
  partition: 0,
  offset: "5",
  key: out.message.key,
  value: out.message.value,
  headers: out.message.headers,
});

Deno.test("a first transient failure goes to retry-1, due after the first delay", () => {
  const out = handOff(original, transient, route, t0);
  assert.equal(out.topic, "inventory_orders-retry-1");
  assert.equal(out.outcome, "retry");
  assert.equal(out.message.key, "SKU-1");
  assert.equal(out.message.value, value);
  assert.deepEqual(out.message.headers, {
    [RETRY_HEADERS.originalTopic]: "inventory_orders",
    [RETRY_HEADERS.originalPartition]: "4",
    [RETRY_HEADERS.originalOffset]: "99",
    [RETRY_HEADERS.originalKey]: "SKU-1",
    [RETRY_HEADERS.attempt]: "1",
    [RETRY_HEADERS.firstFailedAt]: "2026-11-22T00:00:00.000Z",
    [RETRY_HEADERS.lastFailedAt]: "2026-11-22T00:00:00.000Z",
    [RETRY_HEADERS.errorClass]: "database",
    [RETRY_HEADERS.errorMessage]: "database is locked",
    [RETRY_HEADERS.dueAt]: String(t0.getTime() + 2000),
    [RETRY_HEADERS.stage]: "inventory_data_consumer",
  });
  assert.equal(dueAt(out.message.headers), t0.getTime() + 2000);
});

Deno.test("each failure climbs one level; after the last the DLQ gets the whole story", () => {
  let out = handOff(original, transient, route, t0);
  const times = [t0];
  for (let level = 1; level <= 3; level++) {
    const at = new Date(t0.getTime() + level * 10_000);
    times.push(at);
    out = handOff(consumedFrom(out.topic, out), transient, route, at);
    if (level < 3) {
      assert.equal(out.topic, `inventory_orders-retry-${level + 1}`);
      assert.equal(out.message.headers[RETRY_HEADERS.originalOffset], "99", "origin kept");
      assert.equal(out.message.headers[RETRY_HEADERS.firstFailedAt], t0.toISOString());
      assert.equal(dueAt(out.message.headers), at.getTime() + [4000, 8000][level - 1]);
    }
  }
  assert.equal(out.topic, "inventory_orders-dlq");
  assert.equal(out.outcome, "dead-letter");
  assert.equal(out.attempt, 4);
  const h = out.message.headers;
  assert.equal(h[DLQ_HEADERS.originalTopic], "inventory_orders");
  assert.equal(h[DLQ_HEADERS.originalPartition], "4");
  assert.equal(h[DLQ_HEADERS.originalOffset], "99");
  assert.equal(h[DLQ_HEADERS.originalKey], "SKU-1");
  assert.equal(h[DLQ_HEADERS.attempts], "4");
  assert.equal(h[DLQ_HEADERS.firstFailedAt], t0.toISOString());
  assert.equal(h[DLQ_HEADERS.failedAt], times[3].toISOString());
  assert.equal(h[DLQ_HEADERS.errorClass], "database");
  assert.equal(h[DLQ_HEADERS.reason], "database is locked");
  assert.equal(h[DLQ_HEADERS.replayTopic], "inventory_orders");
  assert.equal(out.message.value, value, "the original bytes travel unchanged");
});

Deno.test("a permanent failure goes straight to the DLQ", () => {
  const out = handOff(
    original,
    { kind: "permanent", errorClass: "validation", message: "quantity must be > 0" },
    { ...route, replayTopic: "orders-inventory-retry-1" },
    t0,
  );
  assert.equal(out.topic, "inventory_orders-dlq");
  assert.equal(out.message.headers[DLQ_HEADERS.attempts], "1");
  assert.equal(out.message.headers[DLQ_HEADERS.replayTopic], "orders-inventory-retry-1");
});

Deno.test("no attempts configured: the first failure is dead-lettered", () => {
  const out = handOff(original, transient, {
    ...route,
    policy: { ...DEFAULT_BACKOFF, attempts: 0 },
  }, t0);
  assert.equal(out.outcome, "dead-letter");
});

Deno.test("a record that never failed has a fresh history and is due at once", () => {
  assert.deepEqual(retryHistory(original), {
    originalTopic: "inventory_orders",
    originalPartition: 4,
    originalOffset: "99",
    originalKey: "SKU-1",
    attempts: 0,
  });
  assert.equal(dueAt(undefined), 0);
});
