import assert from "node:assert/strict";
import { deadLetter } from "../retry/dead_letter.ts";
import {
  failedAtOf,
  keyText,
  ledgerKey,
  parseRecordRef,
  replayOf,
  replayTopicOf,
  toDlqEntry,
} from "./entry.ts";

const enc = new TextEncoder();

function consumed(headers: Record<string, string>, extra: Partial<{ timestamp: string }> = {}) {
  // A consumer hands header values over as bytes.
  const asBytes = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, enc.encode(v)]));
  return {
    offset: "7",
    key: enc.encode("ord-1"),
    value: enc.encode('{"orderId":"ord-1"}'),
    timestamp: extra.timestamp ?? "1767225600000",
    headers: asBytes,
  };
}

Deno.test("a consumed DLQ message becomes an entry with text headers and its envelope", () => {
  const msg = deadLetter(
    { topic: "orders", partition: 2, offset: "17", key: "ord-1", value: enc.encode("{") },
    { errorClass: "unparseable", reason: "not JSON", stage: "inventory_orders_producer" },
    new Date("2026-02-01T00:00:00Z"),
  );
  const entry = toDlqEntry(3, consumed(msg.headers));
  assert.equal(entry.partition, 3);
  assert.equal(entry.offset, "7");
  assert.equal(entry.dlq.reason, "not JSON");
  assert.equal(entry.dlq.originalTopic, "orders");
  assert.equal(entry.headers["dlq.stage"], "inventory_orders_producer");
  assert.equal(keyText(entry), "ord-1");
  assert.equal(failedAtOf(entry)?.toISOString(), "2026-02-01T00:00:00.000Z");
});

Deno.test("a repeated header keeps its last value; a missing failed-at falls back to the timestamp", () => {
  const entry = toDlqEntry(0, {
    offset: "1",
    key: null,
    value: null,
    timestamp: "1767225600000",
    headers: { "dlq.reason": [enc.encode("first"), enc.encode("second")], "x": undefined },
  });
  assert.equal(entry.dlq.reason, "second");
  assert.equal("x" in entry.headers, false);
  assert.equal(keyText(entry), undefined);
  assert.equal(failedAtOf(entry)?.toISOString(), "2026-01-01T00:00:00.000Z");
  assert.equal(failedAtOf({ ...entry, timestamp: "-1" }), undefined);
});

Deno.test("the replay topic is dlq.replay.topic, else the original topic", () => {
  const base = toDlqEntry(0, consumed({ "dlq.original.topic": "orders" }));
  assert.equal(replayTopicOf(base), "orders");
  const routed = toDlqEntry(
    0,
    consumed({ "dlq.original.topic": "orders", "dlq.replay.topic": "orders-inventory-retry-1" }),
  );
  assert.equal(replayTopicOf(routed), "orders-inventory-retry-1");
  assert.equal(replayTopicOf(toDlqEntry(0, consumed({}))), undefined);
});

Deno.test("record references: ledger key, replay.of, and both parsed back", () => {
  assert.equal(ledgerKey(2, "40"), "2/40");
  assert.equal(replayOf("orders-dlq", 2, "40"), "orders-dlq/2/40");
  assert.deepEqual(parseRecordRef("2/40"), { partition: 2, offset: "40" });
  assert.deepEqual(parseRecordRef("orders-dlq/2/040"), {
    topic: "orders-dlq",
    partition: 2,
    offset: "40",
  });
  for (const bad of ["", "2", "2/", "/4", "a/b", "2/-1", "t/2/4/5", "2/4x"]) {
    assert.equal(parseRecordRef(bad), undefined, bad);
  }
});
