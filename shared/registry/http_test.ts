import assert from "node:assert/strict";
import {
  createRegistryHandler,
  decodePath,
  failure,
  REGISTRY_CONTENT_TYPE,
  type SchemaJournal,
} from "./http.ts";
import { type LogRecord, RegistryError, RegistryState } from "./state.ts";
import { createLogger } from "../platform/log.ts";
import { basicAuthHeader, parseBasicAuthUsers } from "../platform/basic_auth.ts";

const ORDER_V1 = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [{ name: "id", type: "string" }],
});
const ORDER_V2 = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [{ name: "id", type: "string" }, { name: "qty", type: "int", default: 1 }],
});
const ORDER_BREAKING = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [{ name: "id", type: "long" }],
});

/** A handler over an in-memory journal that can be told to fail. */
function setup() {
  const written: LogRecord[] = [];
  let failing = false;
  let syncs = 0;
  const journal: SchemaJournal = {
    sync: () => {
      syncs++;
      return Promise.resolve();
    },
    append: (records) => {
      if (failing) return Promise.reject(new Error("broker gone"));
      written.push(...records);
      return Promise.resolve();
    },
  };
  const handler = createRegistryHandler({ state: new RegistryState(), journal });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    type = REGISTRY_CONTENT_TYPE,
  ) => {
    const res = await handler(
      new Request(`http://registry${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": type },
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
      }),
    );
    return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
  };
  return {
    call,
    written,
    fail: (on: boolean) => failing = on,
    syncs: () => syncs,
  };
}

Deno.test("root, health and unknown routes", async () => {
  const { call } = setup();
  assert.deepEqual(await call("GET", "/"), { status: 200, type: REGISTRY_CONTENT_TYPE, body: {} });
  assert.equal((await call("GET", "/healthz")).body.status, "ok");
  assert.deepEqual((await call("GET", "/schemas/types")).body, ["AVRO"]);
  assert.deepEqual((await call("GET", "/nope")).body, {
    error_code: 404,
    message: "HTTP 404 Not Found",
  });
  assert.equal((await call("PATCH", "/subjects")).status, 405);
});

Deno.test("register, read back by id, subject and version", async () => {
  const { call, written } = setup();
  assert.deepEqual(
    (await call("POST", "/subjects/orders-value/versions", { schema: ORDER_V1 })).body,
    {
      id: 1,
    },
  );
  // Idempotent, also when spelled differently and sent as plain JSON.
  const respelled = JSON.stringify(JSON.parse(ORDER_V1), null, 2);
  const again = await call(
    "POST",
    "/subjects/orders-value/versions",
    { schema: respelled },
    "application/json",
  );
  assert.deepEqual(again.body, { id: 1 });
  assert.equal(written.length, 1);

  const byId = await call("GET", "/schemas/ids/1");
  assert.deepEqual(Object.keys(byId.body), ["schema"]); // no schemaType for Avro, as Confluent
  assert.deepEqual(JSON.parse(byId.body.schema), JSON.parse(ORDER_V1));
  assert.deepEqual((await call("GET", "/schemas/ids/1/schema")).body, JSON.parse(ORDER_V1));
  assert.deepEqual((await call("GET", "/schemas/ids/1/subjects")).body, ["orders-value"]);
  assert.deepEqual((await call("GET", "/schemas/ids/1/versions")).body, [
    { subject: "orders-value", version: 1 },
  ]);
  assert.equal((await call("GET", "/schemas/ids/9")).body.error_code, 40403);

  const latest = await call("GET", "/subjects/orders-value/versions/latest");
  assert.deepEqual(latest.body, {
    subject: "orders-value",
    id: 1,
    version: 1,
    schema: byId.body.schema,
  });
  assert.deepEqual(
    (await call("GET", "/subjects/orders-value/versions/1/schema")).body,
    JSON.parse(ORDER_V1),
  );
  assert.deepEqual((await call("GET", "/subjects")).body, ["orders-value"]);
  assert.deepEqual((await call("GET", "/subjects/orders-value/versions")).body, [1]);

  const lookup = await call("POST", "/subjects/orders-value", { schema: ORDER_V1 });
  assert.equal(lookup.body.version, 1);
  assert.equal(
    (await call("POST", "/subjects/orders-value", { schema: ORDER_V2 })).body.error_code,
    40403,
  );
  assert.equal(
    (await call("POST", "/subjects/other", { schema: ORDER_V1 })).body.error_code,
    40401,
  );
});

Deno.test("error codes for bad input", async () => {
  const { call } = setup();
  const codeOf = async (...args: Parameters<typeof call>) => {
    const { status, body } = await call(...args);
    return [status, body.error_code];
  };
  assert.deepEqual(await codeOf("POST", "/subjects/s/versions", { schema: "{nope" }), [422, 42201]);
  assert.deepEqual(await codeOf("POST", "/subjects/s/versions", {}), [422, 42201]);
  assert.deepEqual(
    await codeOf("POST", "/subjects/s/versions", { schema: "{}", schemaType: "PROTOBUF" }),
    [422, 42201],
  );
  assert.deepEqual(
    await codeOf("POST", "/subjects/s/versions", {
      schema: ORDER_V1,
      references: [{ name: "x", subject: "y", version: 1 }],
    }),
    [422, 42201],
  );
  assert.deepEqual(await codeOf("POST", "/subjects/s/versions", "{", REGISTRY_CONTENT_TYPE), [
    400,
    400,
  ]);
  assert.deepEqual(
    await codeOf("POST", "/subjects/s/versions", { schema: ORDER_V1 }, "text/plain"),
    [
      415,
      415,
    ],
  );
  assert.deepEqual(await codeOf("GET", "/subjects/s/versions/0"), [422, 42202]);
  assert.deepEqual(await codeOf("GET", "/subjects/s/versions/1"), [404, 40401]);
  assert.deepEqual(await codeOf("PUT", "/config", { compatibility: "SIDEWAYS" }), [422, 42203]);
});

Deno.test("subjects with encoded characters", async () => {
  const { call } = setup();
  await call("POST", `/subjects/${encodeURIComponent("a/b c")}/versions`, { schema: ORDER_V1 });
  assert.deepEqual((await call("GET", "/subjects")).body, ["a/b c"]);
});

Deno.test("config and compatibility endpoints", async () => {
  const { call } = setup();
  assert.deepEqual((await call("GET", "/config")).body, { compatibilityLevel: "BACKWARD" });
  assert.deepEqual((await call("PUT", "/config", { compatibility: "full" })).body, {
    compatibility: "FULL",
  });
  assert.deepEqual((await call("GET", "/config/s")).body.error_code, 40408);
  assert.deepEqual((await call("GET", "/config/s?defaultToGlobal=true")).body, {
    compatibilityLevel: "FULL",
  });
  assert.deepEqual((await call("PUT", "/config/s", { compatibility: "NONE" })).body, {
    compatibility: "NONE",
  });
  assert.deepEqual((await call("GET", "/config/s")).body, { compatibilityLevel: "NONE" });
  assert.deepEqual((await call("DELETE", "/config/s")).body, { compatibilityLevel: "NONE" });
  assert.equal((await call("DELETE", "/config/s")).body.error_code, 40401);

  assert.deepEqual(
    (await call("POST", "/compatibility/subjects/s/versions/latest", { schema: ORDER_V1 })).body,
    {
      is_compatible: true,
    },
  );
  await call("POST", "/subjects/s/versions", { schema: ORDER_V1 });
  const ok = await call("POST", "/compatibility/subjects/s/versions/latest", { schema: ORDER_V2 });
  assert.deepEqual(ok.body, { is_compatible: true });
  const bad = await call("POST", "/compatibility/subjects/s/versions/1?verbose=true", {
    schema: ORDER_BREAKING,
  });
  assert.equal(bad.body.is_compatible, false);
  assert.match(bad.body.messages.join("\n"), /FULL/);
  const registered = await call("POST", "/subjects/s/versions", { schema: ORDER_BREAKING });
  assert.equal(registered.status, 409);
  assert.equal(registered.body.error_code, 409);
});

Deno.test("deletes answer with Confluent's codes", async () => {
  const { call } = setup();
  await call("POST", "/subjects/s/versions", { schema: ORDER_V1 });
  await call("POST", "/subjects/s/versions", { schema: ORDER_V2 });
  assert.equal((await call("DELETE", "/subjects/s?permanent=true")).body.error_code, 40405);
  assert.equal(
    (await call("DELETE", "/subjects/s/versions/1?permanent=true")).body.error_code,
    40407,
  );
  assert.deepEqual((await call("DELETE", "/subjects/s/versions/latest")).body, 2);
  assert.equal((await call("DELETE", "/subjects/s/versions/2")).body.error_code, 40406);
  assert.deepEqual((await call("GET", "/subjects/s/versions?deleted=true")).body, [1, 2]);
  assert.equal((await call("GET", "/subjects/s/versions/2")).body.error_code, 40402);
  assert.equal((await call("GET", "/subjects/s/versions/2?deleted=true")).body.version, 2);
  assert.deepEqual((await call("DELETE", "/subjects/s")).body, [1]);
  assert.equal((await call("DELETE", "/subjects/s")).body.error_code, 40404);
  assert.deepEqual((await call("GET", "/subjects")).body, []);
  assert.deepEqual((await call("GET", "/subjects?deleted=true")).body, ["s"]);
  assert.deepEqual((await call("DELETE", "/subjects/s?permanent=true")).body, [1, 2]);
  assert.equal((await call("DELETE", "/subjects/s")).body.error_code, 40401);
  assert.equal((await call("GET", "/schemas/ids/1")).body.error_code, 40403);
});

Deno.test("a failed write answers 50001, stores nothing and syncs before the next", async () => {
  const { call, written, fail, syncs } = setup();
  fail(true);
  const res = await call("POST", "/subjects/s/versions", { schema: ORDER_V1 });
  assert.equal(res.status, 500);
  assert.equal(res.body.error_code, 50001);
  assert.match(res.body.message, /broker gone/);
  assert.equal((await call("GET", "/subjects")).body.length, 0);
  fail(false);
  const before = syncs();
  assert.deepEqual((await call("POST", "/subjects/s/versions", { schema: ORDER_V1 })).body, {
    id: 1,
  });
  assert.equal(syncs(), before + 1);
  assert.equal(written.length, 1);
});

Deno.test("concurrent registrations get distinct ids", async () => {
  const { call } = setup();
  const schemas = Array.from(
    { length: 10 },
    (_, i) => JSON.stringify({ type: "fixed", name: `F${i}`, size: i + 1 }),
  );
  const ids = await Promise.all(
    schemas.map((schema, i) =>
      call("POST", `/subjects/s${i}/versions`, { schema }).then((r) => r.body.id)
    ),
  );
  assert.deepEqual([...ids].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("with users, every request needs their basic auth: 401 otherwise", async () => {
  const handler = createRegistryHandler({
    state: new RegistryState(),
    journal: { sync: async () => {}, append: async () => {} },
    users: parseBasicAuthUsers("alice:s3cret"),
  });
  for (const authorization of [undefined, basicAuthHeader("alice", "wrong"), "Bearer x"]) {
    const res = await handler(
      new Request("http://registry/subjects", {
        headers: authorization ? { authorization } : {},
      }),
    );
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), 'Basic realm="schema-registry"');
    const body = await res.json();
    assert.equal(body.error_code, 401);
    assert.match(body.message, /Unauthorized/);
  }
  const ok = await handler(
    new Request("http://registry/subjects", {
      headers: { authorization: basicAuthHeader("alice", "s3cret") },
    }),
  );
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), []);
});

Deno.test("decodePath keeps an encoded slash in one segment; a bad escape is no path", () => {
  assert.deepEqual(decodePath("/subjects/a%2Fb/versions"), ["subjects", "a/b", "versions"]);
  assert.equal(decodePath("/subjects/%E0%A4%A"), undefined);
});

Deno.test("failure: a refusal keeps its status and code, anything else is a 500", async () => {
  const lines: string[] = [];
  const log = createLogger({ name: "t", level: "debug", write: (line) => void lines.push(line) });
  const request = { method: "GET", path: "/x" };
  const refused = failure(new RegistryError(40401, "Subject 'x' not found."), request, log);
  assert.equal(refused.status, 404);
  assert.deepEqual(await refused.json(), { error_code: 40401, message: "Subject 'x' not found." });
  const broken = failure(new Error("boom"), request, log);
  assert.equal(broken.status, 500);
  assert.deepEqual(await broken.json(), {
    error_code: 500,
    message: "Internal Server Error: boom",
  });
  assert.equal(lines.length, 2);
  assert.match(lines[0], /request refused/);
  assert.match(lines[1], /request failed/);
});
