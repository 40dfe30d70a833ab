import assert from "node:assert/strict";
import { toDlqEntry } from "./entry.ts";
import {
  ledgerEntry,
  ledgerTopicName,
  ledgerTopicSpec,
  replayedKeys,
  replayMessage,
  transactionalIdFor,
} from "./ledger.ts";
import { deadLetterEntry } from "./test_entry.ts";

const enc = new TextEncoder();

Deno.test("the ledger topic is <dlq>-replayed, compacted; the transactional id is per DLQ", () => {
  assert.equal(ledgerTopicName("inventory_orders-dlq"), "inventory_orders-dlq-replayed");
  const spec = ledgerTopicSpec("orders-dlq");
  assert.equal(spec.name, "orders-dlq-replayed");
  assert.equal(spec.cleanup, "compact");
  assert.equal(spec.retentionMs, undefined);
  assert.equal(transactionalIdFor("orders-dlq"), "dlq-replayer-orders-dlq");
  assert.notEqual(transactionalIdFor("a-dlq"), transactionalIdFor("b-dlq"));
});

Deno.test("a ledger entry is keyed by partition/offset and says when and where", () => {
  assert.deepEqual(ledgerEntry(2, "41", "orders", new Date("2026-01-01T00:00:00Z")), {
    key: "2/41",
    value: '{"replayedAt":"2026-01-01T00:00:00.000Z","to":"orders"}',
  });
});

Deno.test("replayed keys: entries add, tombstones forget, keyless records are ignored", () => {
  const keys = replayedKeys([
    { key: enc.encode("0/1"), value: enc.encode("{}") },
    { key: "0/2", value: "{}" },
    { key: enc.encode("0/1"), value: null },
    { key: null, value: "{}" },
    { key: "0/3", value: "{}" },
    { key: "0/3", value: "{}" },
  ]);
  assert.deepEqual([...keys].sort(), ["0/2", "0/3"]);
});

Deno.test("a replayed record keeps key and value, drops dlq/retry/replay headers, says where from", () => {
  const value = enc.encode('{"orderId":"ord-1"}');
  const entry = deadLetterEntry({
    offset: "12",
    key: "ord-1",
    value,
    replayTopic: "orders-inventory-retry-1",
    headers: {
      "retry.attempt": "3",
      "replay.of": "orders-dlq/0/1",
      "traceparent": "00-abc-def-01",
    },
  });
  const at = new Date("2026-03-01T00:00:00Z");
  const msg = replayMessage("orders-dlq", entry, at);
  assert.ok(msg);
  assert.equal(msg.topic, "orders-inventory-retry-1");
  assert.deepEqual(msg.key, enc.encode("ord-1"));
  assert.equal(msg.value, value);
  assert.deepEqual(msg.headers, {
    "traceparent": "00-abc-def-01",
    "replay.of": "orders-dlq/0/12",
    "replay.at": "2026-03-01T00:00:00.000Z",
  });
});

Deno.test("a record that names no topic to go back to has no replay", () => {
  const entry = toDlqEntry(0, { offset: "0", key: null, value: null, timestamp: "0", headers: {} });
  assert.equal(replayMessage("orders-dlq", entry, new Date()), undefined);
});
