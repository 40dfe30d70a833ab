import assert from "node:assert/strict";
import avro from "avsc";
import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { wireDecoder, wireEncoder, wireSchemaId } from "./avro_codec.ts";

const schema = {
  type: "record",
  name: "Line",
  fields: [{ name: "sku", type: "string" }, { name: "quantity", type: "int" }],
} as const;
const type = avro.Type.forSchema(schema as unknown as avro.Schema);

/** A registry that knows one id, counting its lookups. */
function fakeRegistry(id: number) {
  const calls = { n: 0 };
  const registry = {
    getSchema: (asked: number) => {
      calls.n++;
      if (asked !== id) return Promise.reject(new Error(`Schema ${asked} not found`));
      return Promise.resolve(type);
    },
  } as unknown as SchemaRegistry;
  return { registry, calls };
}

Deno.test("wireEncoder writes the Confluent framing around avsc's bytes", () => {
  const encode = wireEncoder(258, type as never);
  const bytes = encode({ sku: "SKU-1", quantity: 3 });
  assert.ok(Buffer.isBuffer(bytes), "kafkajs needs a Buffer");
  assert.deepEqual([...bytes.subarray(0, 5)], [0, 0, 0, 1, 2]);
  assert.deepEqual(bytes.subarray(5), type.toBuffer({ sku: "SKU-1", quantity: 3 }));
  assert.equal(wireSchemaId(bytes), 258);
  // Each call gets its own bytes, not a view of the scratch buffer.
  const other = encode({ sku: "SKU-2", quantity: 4 });
  assert.deepEqual(bytes.subarray(5), type.toBuffer({ sku: "SKU-1", quantity: 3 }));
  assert.notDeepEqual(bytes, other);
});

Deno.test("wireEncoder grows past its scratch buffer and names invalid fields", () => {
  const encode = wireEncoder(7, type as never);
  const big = "x".repeat(100_000);
  assert.equal(type.fromBuffer(encode({ sku: big, quantity: 1 }).subarray(5)).sku, big);
  assert.throws(() => encode({ sku: "s", quantity: "three" }), /invalid: quantity/);
});

Deno.test("wireDecoder decodes with the writer's schema, fetched once per id", async () => {
  const { registry, calls } = fakeRegistry(9);
  const decode = wireDecoder(registry);
  const encode = wireEncoder(9, type as never);
  assert.deepEqual({ ...await decode(encode({ sku: "a", quantity: 1 })) }, {
    sku: "a",
    quantity: 1,
  });
  assert.deepEqual({ ...await decode(new Uint8Array(encode({ sku: "b", quantity: 2 }))) }, {
    sku: "b",
    quantity: 2,
  });
  assert.equal(calls.n, 1);
});

Deno.test("wireDecoder refuses what is not ours with errors the retry classifier reads", async () => {
  const { registry } = fakeRegistry(9);
  const decode = wireDecoder(registry);
  const good = wireEncoder(9, type as never)({ sku: "a", quantity: 1 });
  await assert.rejects(decode(new TextEncoder().encode('{"json":1}')), /magic byte/);
  await assert.rejects(decode(new Uint8Array()), /magic byte/);
  await assert.rejects(decode(good.subarray(0, good.length - 1)), /truncated/);
  await assert.rejects(decode(Buffer.concat([good, Buffer.from([1])])), /invalid Avro: trailing/);
  const unknown = Buffer.from(good);
  unknown.writeInt32BE(10, 1);
  await assert.rejects(decode(unknown), /Schema 10 not found/);
});
