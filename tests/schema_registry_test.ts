/**
 * Our schema registry against the two clients the pipeline may use,
 * `@kafkajs/confluent-schema-registry` and Confluent's own
 * `@confluentinc/schemaregistry`, on a real broker: the Confluent wire
 * format, evolution and refusals, restarts, config and deletes. Each test
 * has its own registry topic and subjects, and closes what it starts.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import {
  AvroDeserializer,
  AvroSerializer,
  RestError,
  SchemaRegistryClient,
  SerdeType,
} from "@confluentinc/schemaregistry";
import { integration, testConnection, testLogger, uniqueName } from "./harness.ts";
import { type RunningRegistry, startRegistry } from "../shared/registry/server.ts";
import { REGISTRY_CONTENT_TYPE } from "../shared/registry/http.ts";

const order = (fields: unknown[]) =>
  JSON.stringify({ type: "record", name: "Order", namespace: "shop", fields });
const ORDER_V1 = order([{ name: "id", type: "string" }, { name: "price", type: "double" }]);
/** v1 plus a field with a default: BACKWARD (and FULL) compatible. */
const ORDER_V2 = order([
  { name: "id", type: "string" },
  { name: "price", type: "double" },
  { name: "quantity", type: "int", default: 1 },
]);
/** v1 plus a field without a default: new readers cannot read v1 data. */
const ORDER_REQUIRED_FIELD = order([
  { name: "id", type: "string" },
  { name: "price", type: "double" },
  { name: "sku", type: "string" },
]);
/** v1 with price as a string: compatible in no direction. */
const ORDER_RETYPED = order([{ name: "id", type: "string" }, { name: "price", type: "string" }]);

/** Starts a registry on a topic of its own (or the one given) on any free port. */
function start(topic = uniqueName("schemas")): Promise<RunningRegistry & { topic: string }> {
  return startRegistry({
    connection: testConnection("schema-registry-test"),
    topic,
    port: 0,
    log: testLogger("schema-registry"),
  }).then((registry) => Object.assign(registry, { topic }));
}

/** A raw request, for what neither client exposes: status and error code. */
async function call(registry: RunningRegistry, method: string, path: string, body?: unknown) {
  const res = await fetch(registry.url + path, {
    method,
    headers: { "content-type": REGISTRY_CONTENT_TYPE },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The Confluent wire format: magic byte 0, then the schema id as 4 bytes big-endian. */
function wireSchemaId(bytes: Buffer): number {
  assert.equal(bytes[0], 0, "magic byte");
  return bytes.readInt32BE(1);
}

Deno.test(
  "kafkajs client: register, wire-format round trip, evolution, 409",
  integration,
  async () => {
    const registry = await start();
    try {
      const client = new SchemaRegistry({ host: registry.url });
      const subject = uniqueName("orders-value");

      const { id: v1 } = await client.register({ type: SchemaType.AVRO, schema: ORDER_V1 }, {
        subject,
      });
      // Idempotent: the same schema, spelled differently, gets the same id.
      const respelled = JSON.stringify(JSON.parse(ORDER_V1), null, 2);
      assert.equal(
        (await client.register({ type: SchemaType.AVRO, schema: respelled }, { subject })).id,
        v1,
      );

      const encoded = await client.encode(v1, { id: "o-1", price: 9.5 });
      assert.equal(wireSchemaId(encoded), v1);
      assert.deepEqual({ ...(await client.decode(encoded)) }, { id: "o-1", price: 9.5 });

      // Evolution: a field with a default is accepted under BACKWARD, and
      // a v2 reader reads v1 data with the default filled in.
      const { id: v2 } = await client.register({ type: SchemaType.AVRO, schema: ORDER_V2 }, {
        subject,
      });
      assert.notEqual(v2, v1);
      assert.equal(await client.getLatestSchemaId(subject), v2);
      assert.equal(
        await client.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: ORDER_V1 }),
        v1,
      );
      const upgraded = await client.decode(encoded, {
        [SchemaType.AVRO]: { readerSchema: JSON.parse(ORDER_V2) },
      });
      assert.deepEqual({ ...upgraded }, { id: "o-1", price: 9.5, quantity: 1 });

      // Incompatible changes are refused with HTTP 409, saying which version and why.
      await assert.rejects(
        client.register({ type: SchemaType.AVRO, schema: ORDER_REQUIRED_FIELD }, { subject }),
        (err: { status?: number }) => err.status === 409,
      );
      const refused = await call(registry, "POST", `/subjects/${subject}/versions`, {
        schema: ORDER_RETYPED,
      });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error_code, 409);
      assert.match(refused.body.message, /version 2.*price/s);

      // The same schema under another subject reuses the global id.
      const other = uniqueName("other-value");
      assert.equal(
        (await client.register({ type: SchemaType.AVRO, schema: ORDER_V1 }, { subject: other })).id,
        v1,
      );
      assert.deepEqual(
        (await call(registry, "GET", `/schemas/ids/${v1}/versions`)).body,
        [
          { subject, version: 1 },
          { subject: other, version: 1 },
        ].sort((a, b) => a.subject.localeCompare(b.subject)),
      );
    } finally {
      await registry.close();
    }
  },
);

Deno.test(
  "Confluent's client: serializer round trip, lookups, per-subject config, compatibility test",
  integration,
  async () => {
    const registry = await start();
    try {
      const client = new SchemaRegistryClient({ baseURLs: [registry.url], maxRetries: 0 });
      const topic = uniqueName("orders");
      const subject = `${topic}-value`; // the serializers' TopicNameStrategy

      const v1 = await client.register(subject, { schemaType: "AVRO", schema: ORDER_V1 });
      const serializer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
      const bytes = await serializer.serialize(topic, { id: "o-2", price: 3.25 });
      assert.equal(wireSchemaId(bytes), v1);
      const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
      assert.deepEqual({ ...(await deserializer.deserialize(topic, bytes)) }, {
        id: "o-2",
        price: 3.25,
      });
      // The other client reads the same bytes: one wire format.
      const kafkajsClient = new SchemaRegistry({ host: registry.url });
      assert.deepEqual({ ...(await kafkajsClient.decode(bytes)) }, { id: "o-2", price: 3.25 });

      assert.equal(await client.getId(subject, { schemaType: "AVRO", schema: ORDER_V1 }), v1);
      assert.equal(await client.getVersion(subject, { schemaType: "AVRO", schema: ORDER_V1 }), 1);
      const latest = await client.getLatestSchemaMetadata(subject);
      assert.equal(latest.id, v1);
      assert.equal(latest.version, 1);

      // Per-subject compatibility decides what registers.
      assert.equal(await client.getDefaultCompatibility(), "BACKWARD");
      await assert.rejects(
        client.register(subject, { schemaType: "AVRO", schema: ORDER_REQUIRED_FIELD }),
        (err) => err instanceof RestError && err.status === 409 && err.errorCode === 409,
      );
      assert.equal(await client.updateCompatibility(subject, "FORWARD" as never), "FORWARD");
      assert.equal(await client.getCompatibility(subject), "FORWARD");
      // Old readers ignore a new field, so FORWARD accepts it.
      const v2 = await client.register(subject, {
        schemaType: "AVRO",
        schema: ORDER_REQUIRED_FIELD,
      });
      assert.notEqual(v2, v1);

      // The compatibility test endpoint, against the latest and a given version.
      await client.updateCompatibility(subject, "FULL" as never);
      const withDefault = { schemaType: "AVRO", schema: ORDER_V2 };
      assert.equal(await client.testCompatibility(subject, 1, withDefault), true);
      assert.equal(await client.testSubjectCompatibility(subject, withDefault), false);
      const verbose = await call(
        registry,
        "POST",
        `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
        { schema: ORDER_RETYPED },
      );
      assert.equal(verbose.body.is_compatible, false);
      assert.match(verbose.body.messages.join("\n"), /FULL.*version 2/s);

      // Only Avro.
      await assert.rejects(
        client.register(subject, { schemaType: "PROTOBUF", schema: 'syntax = "proto3";' }),
        (err) => err instanceof RestError && err.errorCode === 42201,
      );
    } finally {
      await registry.close();
    }
  },
);

Deno.test("soft then hard delete, with Confluent's error codes", integration, async () => {
  const registry = await start();
  try {
    const client = new SchemaRegistryClient({ baseURLs: [registry.url], maxRetries: 0 });
    const subject = uniqueName("deletes-value");
    const code = (errorCode: number) => (err: unknown) =>
      err instanceof RestError && err.errorCode === errorCode;
    await client.register(subject, { schemaType: "AVRO", schema: ORDER_V1 });
    const v2 = await client.register(subject, { schemaType: "AVRO", schema: ORDER_V2 });

    await assert.rejects(client.deleteSubject(subject, true), code(40405));
    await assert.rejects(client.deleteSubjectVersion(subject, 2, true), code(40407));
    assert.equal(await client.deleteSubjectVersion(subject, 2), 2);
    await assert.rejects(client.deleteSubjectVersion(subject, 2), code(40406));
    assert.deepEqual(await client.getAllVersions(subject), [1]);
    // Soft-deleted schemas still resolve by id: old messages stay readable.
    assert.equal((await call(registry, "GET", `/schemas/ids/${v2}`)).status, 200);

    assert.deepEqual(await client.deleteSubject(subject), [1]);
    await assert.rejects(client.deleteSubject(subject), code(40404));
    assert.ok(!(await client.getAllSubjects()).includes(subject));
    assert.deepEqual((await call(registry, "GET", "/subjects?deleted=true")).body, [subject]);
    assert.equal(
      (await call(registry, "GET", `/subjects/${subject}/versions/1`)).body.error_code,
      40401,
    );

    assert.deepEqual(await client.deleteSubject(subject, true), [1, 2]);
    await assert.rejects(client.deleteSubject(subject), code(40401));
    const gone = await call(registry, "GET", `/schemas/ids/${v2}`);
    assert.deepEqual([gone.status, gone.body.error_code], [404, 40403]);
  } finally {
    await registry.close();
  }
});

Deno.test(
  "a restarted registry keeps ids, versions, configs and deletions",
  integration,
  async () => {
    const first = await start();
    const orders = uniqueName("orders-value");
    const payments = uniqueName("payments-value");
    const dropped = uniqueName("dropped-value");
    let ids: { v1: number; v2: number };
    let before: unknown;
    try {
      const client = new SchemaRegistry({ host: first.url });
      const register = (schema: string, subject: string) =>
        client.register({ type: SchemaType.AVRO, schema }, { subject }).then((r) => r.id);
      ids = { v1: await register(ORDER_V1, orders), v2: await register(ORDER_V2, orders) };
      await register(ORDER_V1, payments);
      await register(ORDER_RETYPED, dropped);
      await call(first, "PUT", `/config/${payments}`, { compatibility: "FULL" });
      await call(first, "DELETE", `/subjects/${orders}/versions/1`);
      await call(first, "DELETE", `/subjects/${dropped}`);
      await call(first, "DELETE", `/subjects/${dropped}?permanent=true`);
      before = (await call(first, "GET", `/schemas/ids/${ids.v2}`)).body;
    } finally {
      await first.close();
    }

    const second = await start(first.topic);
    try {
      assert.deepEqual((await call(second, "GET", `/schemas/ids/${ids.v2}`)).body, before);
      assert.deepEqual((await call(second, "GET", `/subjects/${orders}/versions`)).body, [2]);
      assert.deepEqual(
        (await call(second, "GET", `/subjects/${orders}/versions?deleted=true`)).body,
        [1, 2],
      );
      assert.deepEqual(
        (await call(second, "GET", `/subjects/${orders}/versions/latest`)).body.id,
        ids.v2,
      );
      assert.deepEqual((await call(second, "GET", `/config/${payments}`)).body, {
        compatibilityLevel: "FULL",
      });
      assert.deepEqual(
        (await call(second, "GET", "/subjects?deleted=true")).body,
        [orders, payments].sort(),
      );

      // Registration carries on: known schemas keep their ids, new ones take fresh ids.
      const client = new SchemaRegistry({ host: second.url });
      const again = await client.register({ type: SchemaType.AVRO, schema: ORDER_V1 }, {
        subject: uniqueName("copy-value"),
      });
      assert.equal(again.id, ids.v1);
      const v3 = await call(second, "POST", `/subjects/${orders}/versions`, {
        schema: order([
          { name: "id", type: "string" },
          { name: "price", type: "double" },
          { name: "quantity", type: "int", default: 1 },
          { name: "note", type: ["null", "string"], default: null },
        ]),
      });
      assert.ok(v3.body.id > Math.max(ids.v1, ids.v2), `fresh id, got ${v3.body.id}`);
      assert.deepEqual((await call(second, "GET", `/subjects/${orders}/versions`)).body, [2, 3]);
    } finally {
      await second.close();
    }
  },
);

Deno.test("start-up fails with a clear error when Kafka is unreachable", integration, async () => {
  const unreachable = { brokers: ["127.0.0.1:1"], clientId: "schema-registry-test", retries: 0 };
  await assert.rejects(
    startRegistry({ connection: unreachable, topic: uniqueName("schemas"), port: 0 }),
    /cannot open the schema log .* on Kafka: .*ECONNREFUSED/,
  );
});
