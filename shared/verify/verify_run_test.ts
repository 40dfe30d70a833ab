import assert from "node:assert/strict";
import type { CommittedRecord } from "./committed_reader.ts";
import { kafkaObservations } from "./verify_run.ts";
import type { WireDecoder } from "./wire_avro.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const topics = {
  orders: "o",
  inventoryOrders: "inv",
  deliveryOrders: "del",
  dlq: "dlq",
  status: "st",
};
/** Stands in for Avro: the "encoded" value is the JSON text. */
const decoder: WireDecoder = {
  decode: (b) => Promise.resolve(JSON.parse(new TextDecoder().decode(b))),
};
const record = (topic: string, offset: number, key: string, value: string, headers = {}) =>
  ({
    topic,
    partition: 0,
    offset,
    key: bytes(key),
    value: bytes(value),
    headers: Object.entries(headers).map(([k, v]) => ({ key: k, value: bytes(String(v)) })),
  }) as CommittedRecord;

Deno.test("records become observations by topic role; one offset counts once even if read twice", async () => {
  const obs = kafkaObservations(topics, decoder);
  const inv = record(
    "inv",
    3,
    "S1",
    JSON.stringify({ orderId: "o1", lineIndex: 0, sku: "S1", quantity: 2, movement: "RESTOCK" }),
  );
  const dead = record("dlq", 5, "o2", "{", { "dlq.reason": "not JSON: x" });
  const status = record(
    "st",
    1,
    "o1",
    JSON.stringify({
      eventId: "e1",
      orderId: "o1",
      source: "inventory",
      status: "restocked",
      detail: { lineIndex: 0 },
    }),
  );
  await obs.add([inv, dead, status]);
  await obs.add([inv, { ...inv, offset: 4 }]);
  const seen = obs.observed();
  assert.deepEqual(seen.inventory.map((r) => r.at), ["inv/0@3", "inv/0@4"]);
  assert.deepEqual(seen.deadLetters, [{ orderId: "o2", reason: "not JSON: x", at: "dlq/0@5" }]);
  assert.equal(seen.statusEvents[0].lineIndex, 0);
  await obs.add([record("del", 0, "k", "not avro")]);
  assert.equal(obs.undecodable, 1);
});
