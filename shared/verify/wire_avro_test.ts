import assert from "node:assert/strict";
import avro from "avsc";
import {
  createWireDecoder,
  RegistryUnavailableError,
  splitWireFormat,
  WireFormatError,
} from "./wire_avro.ts";
import { freePort } from "../dev/broker/local_kafka.ts";

const SCHEMA = {
  type: "record",
  name: "T",
  fields: [{ name: "orderId", type: "string" }, { name: "n", type: "int" }],
};

Deno.test("the wire format's header: magic 0, big-endian schema id", () => {
  const { schemaId, payload } = splitWireFormat(new Uint8Array([0, 0, 0, 1, 2, 9, 8]));
  assert.equal(schemaId, 258);
  assert.deepEqual([...payload], [9, 8]);
  assert.throws(() => splitWireFormat(new Uint8Array([1, 0, 0, 0, 1])), /magic byte 1/);
  assert.throws(() => splitWireFormat(new Uint8Array([0, 0])), WireFormatError);
});

Deno.test("values decode with the writer schema fetched by id over real HTTP, once per id", async () => {
  let fetched = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const id = new URL(req.url).pathname.match(/^\/schemas\/ids\/(\d+)$/)?.[1];
    if (id !== "7") {
      return Response.json({ error_code: 40403, message: "Schema not found" }, { status: 404 });
    }
    fetched++;
    return Response.json({ schema: JSON.stringify(SCHEMA) });
  });
  try {
    const decoder = createWireDecoder(`http://127.0.0.1:${server.addr.port}/`);
    const body = avro.Type.forSchema(SCHEMA as avro.Schema).toBuffer({ orderId: "o-1", n: 3 });
    const framed = new Uint8Array([0, 0, 0, 0, 7, ...body]);
    assert.deepEqual({ ...(await decoder.decode(framed)) }, { orderId: "o-1", n: 3 });
    await decoder.decode(framed);
    assert.equal(fetched, 1);
    await assert.rejects(
      decoder.decode(new Uint8Array([0, 0, 0, 0, 8, ...body])),
      /schema id 8: registry answered 404/,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("a registry that cannot be reached is its own error (it stops the audit, not one record)", async () => {
  const port = freePort(); // nobody listens on it
  const decoder = createWireDecoder(`http://127.0.0.1:${port}`);
  await assert.rejects(
    decoder.decode(new Uint8Array([0, 0, 0, 0, 1, 2])),
    (err) => err instanceof RegistryUnavailableError && /--registry-url/.test(err.message),
  );
});
