import assert from "node:assert/strict";
import {
  checkCompatibility,
  type CompatibilityLevel,
  InvalidSchemaError,
  parseAvroSchema,
  toCompatibilityLevel,
} from "./compatibility.ts";

const record = (fields: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "record", name: "Order", namespace: "shop", fields, ...extra });

const V1 = parseAvroSchema(record([{ name: "id", type: "string" }]));
const WITH_DEFAULT = parseAvroSchema(
  record([{ name: "id", type: "string" }, { name: "qty", type: "int", default: 1 }]),
);
const WITHOUT_DEFAULT = parseAvroSchema(
  record([{ name: "id", type: "string" }, { name: "qty", type: "int" }]),
);
const ID_AS_INT = parseAvroSchema(record([{ name: "id", type: "int" }]));

const check = (level: CompatibilityLevel, candidate = WITH_DEFAULT, ...previous: typeof V1[]) =>
  checkCompatibility(
    level,
    candidate,
    (previous.length ? previous : [V1]).map((schema, i) => ({ version: i + 1, schema })),
  );

Deno.test("canonical form ignores whitespace, attribute order and spelling", () => {
  const a = parseAvroSchema(
    '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"}]}',
  );
  const b = parseAvroSchema(`{
    "fields": [ { "type": {"type": "string"}, "name": "id" } ],
    "name": "shop.Order",
    "type": "record"
  }`);
  assert.equal(a.canonical, b.canonical);
  assert.equal(
    a.canonical,
    '{"type":"record","name":"shop.Order","fields":[{"name":"id","type":"string"}]}',
  );
  assert.equal(parseAvroSchema(' { "type" : "string" } ').canonical, '"string"');
});

Deno.test("canonical form keeps what changes meaning: defaults, logical types, docs", () => {
  const plain = parseAvroSchema(record([{ name: "ts", type: "long" }]));
  const logical = parseAvroSchema(
    record([{ name: "ts", type: { type: "long", logicalType: "timestamp-millis" } }]),
  );
  const documented = parseAvroSchema(record([{ name: "ts", type: "long", doc: "when" }]));
  const defaulted = parseAvroSchema(record([{ name: "ts", type: "long", default: 0 }]));
  const canonicals = new Set([plain, logical, documented, defaulted].map((s) => s.canonical));
  assert.equal(canonicals.size, 4);
  assert.match(logical.canonical, /"logicalType":"timestamp-millis"/);
  // The canonical text is itself a schema with the same canonical text.
  assert.equal(parseAvroSchema(logical.canonical).canonical, logical.canonical);
});

Deno.test("canonical form qualifies references to named types", () => {
  const nested = parseAvroSchema(record([
    {
      name: "home",
      type: { type: "record", name: "Address", fields: [{ name: "city", type: "string" }] },
    },
    { name: "work", type: "Address" },
  ]));
  assert.match(nested.canonical, /"name":"shop.Address"/);
  assert.match(nested.canonical, /"name":"work","type":"shop.Address"/);
  assert.equal(parseAvroSchema(nested.canonical).canonical, nested.canonical);
});

Deno.test("invalid schemas are refused with the reason", () => {
  assert.throws(() => parseAvroSchema("not json"), InvalidSchemaError);
  assert.throws(() => parseAvroSchema('{"type":"nope"}'), /Invalid schema/);
  assert.throws(
    () => parseAvroSchema(record([{ name: "qty", type: "int", default: "one" }])),
    /default/,
  );
  assert.throws(() => parseAvroSchema('{"type":"record","name":"R"}'), InvalidSchemaError);
});

Deno.test("compatibility levels parse case-insensitively", () => {
  assert.equal(toCompatibilityLevel("full_transitive"), "FULL_TRANSITIVE");
  assert.equal(toCompatibilityLevel("Backward"), "BACKWARD");
  assert.equal(toCompatibilityLevel("SIDEWAYS"), undefined);
  assert.equal(toCompatibilityLevel(3), undefined);
});

Deno.test("BACKWARD: a new field needs a default; removing a field is fine", () => {
  assert.deepEqual(check("BACKWARD", WITH_DEFAULT), []);
  const [why] = check("BACKWARD", WITHOUT_DEFAULT);
  assert.match(why, /BACKWARD: the new schema cannot read data written with version 1/);
  assert.match(why, /qty/);
  assert.deepEqual(check("BACKWARD", V1, WITH_DEFAULT), []);
});

Deno.test("FORWARD: old readers must read new data", () => {
  // Old readers ignore a new field, default or not.
  assert.deepEqual(check("FORWARD", WITHOUT_DEFAULT), []);
  // A field the old reader needs, without a default there, must not go.
  const [why] = check("FORWARD", V1, WITHOUT_DEFAULT);
  assert.match(why, /version 1 cannot read data written with the new schema/);
});

Deno.test("FULL needs both directions", () => {
  assert.deepEqual(check("FULL", WITH_DEFAULT), []);
  assert.equal(check("FULL", WITHOUT_DEFAULT).length, 1);
  assert.equal(check("FULL", ID_AS_INT).length, 2);
});

Deno.test("a changed type is incompatible, a promotion only one way", () => {
  assert.equal(check("BACKWARD", ID_AS_INT).length, 1);
  const intField = parseAvroSchema(record([{ name: "n", type: "int" }]));
  const longField = parseAvroSchema(record([{ name: "n", type: "long" }]));
  assert.deepEqual(check("BACKWARD", longField, intField), []); // long reads int
  assert.equal(check("FORWARD", longField, intField).length, 1); // int cannot read long
});

Deno.test("NONE accepts anything; a first version has nothing to check", () => {
  assert.deepEqual(check("NONE", ID_AS_INT), []);
  assert.deepEqual(checkCompatibility("FULL_TRANSITIVE", ID_AS_INT, []), []);
});

Deno.test("transitive levels check every version, the others only the latest", () => {
  // v1 has no qty, v2 adds it with a default, the candidate drops the default.
  // Reading v2 data works (qty is there), reading v1 data does not.
  const previous = [V1, WITH_DEFAULT];
  assert.deepEqual(check("BACKWARD", WITHOUT_DEFAULT, ...previous), []);
  const messages = check("BACKWARD_TRANSITIVE", WITHOUT_DEFAULT, ...previous);
  assert.equal(messages.length, 1);
  assert.match(messages[0], /version 1/);
});
