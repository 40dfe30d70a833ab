import assert from "node:assert/strict";
import { deadLetterEntry } from "./test_entry.ts";
import {
  classifyValue,
  describeValue,
  hexPreview,
  renderShown,
  shownRecord,
  toJsonText,
} from "./value_view.ts";

const enc = new TextEncoder();
const avroBytes = new Uint8Array([0, 0, 0, 1, 2, 0x0a, 0x6f]);

Deno.test("values are told apart: empty, JSON, Confluent Avro, text, binary", () => {
  assert.deepEqual(classifyValue(null), { kind: "empty" });
  assert.deepEqual(classifyValue(new Uint8Array()), { kind: "empty" });
  assert.deepEqual(classifyValue(enc.encode(' {"a": [1]} ')), { kind: "json", value: { a: [1] } });
  assert.deepEqual(classifyValue(avroBytes), { kind: "avro", schemaId: 258 });
  assert.deepEqual(classifyValue(enc.encode("{not json")), { kind: "text", text: "{not json" });
  assert.deepEqual(classifyValue(new Uint8Array([0xff, 0xfe])), { kind: "binary" });
  assert.deepEqual(classifyValue(new Uint8Array([1, 2, 3])), { kind: "binary" });
  assert.deepEqual(classifyValue(new Uint8Array([0, 1])), { kind: "binary" }, "too short for Avro");
});

Deno.test("the hex preview shows the first bytes and counts the rest", () => {
  assert.equal(hexPreview(new Uint8Array([0, 15, 255])), "00 0f ff");
  assert.equal(hexPreview(new Uint8Array(10), 4), "00 00 00 00 … (+6 bytes)");
});

Deno.test("JSON of decoded Avro carries bigints and bytes", () => {
  assert.equal(toJsonText({ n: 1n, b: new Uint8Array([1]) }, 0), '{"n":"1","b":{"hex":"01"}}');
});

Deno.test("an Avro value is decoded when the caller could, otherwise shown in hex with why", () => {
  assert.deepEqual(describeValue(avroBytes, { decoded: { orderId: "o" } }), {
    kind: "avro",
    bytes: 7,
    schemaId: 258,
    decoded: { orderId: "o" },
  });
  const plain = describeValue(avroBytes);
  assert.equal(plain.note, "not decoded: give --registry-url");
  assert.equal(plain.hex, "00 00 00 01 02 0a 6f");
  assert.equal(
    describeValue(avroBytes, { error: "schema 258 not found" }).note,
    "not decoded: schema 258 not found",
  );
});

Deno.test("show: the record's place, key, envelope headers first, and the value pretty-printed", () => {
  const value = enc.encode('{"orderId":"ord-1","qty":2}');
  const entry = deadLetterEntry({
    offset: "1",
    value,
    reason: "qty too big",
    timestamp: "1767225600000",
    headers: { "a-custom": "x" },
  });
  const shown = shownRecord("orders-dlq", entry, true, describeValue(value));
  assert.equal(shown.record, "orders-dlq/0/1");
  assert.equal(shown.replayTo, "orders");
  const text = renderShown(shown);
  const lines = text.split("\n");
  assert.equal(lines[0], "orders-dlq/0/1");
  assert.match(text, /^ {2}key {8}ord-1$/m);
  assert.match(text, /^ {2}replayed {3}yes/m);
  assert.match(lines[7], /^ {2}dlq\.reason: +qty too big$/);
  assert.match(text, /^ {2}a-custom: +x$/m);
  assert.ok(text.indexOf("dlq.replay.topic") < text.indexOf("a-custom"));
  assert.match(text, /^value \(json, 27 bytes\):\n\{\n {2}"orderId": "ord-1",\n {2}"qty": 2\n\}$/m);
});
