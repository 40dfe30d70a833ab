import assert from "node:assert/strict";
import {
  errorResponse,
  flag,
  json,
  readBody,
  readSchema,
  REGISTRY_CONTENT_TYPE,
} from "./http_messages.ts";
import { RegistryError } from "./state.ts";

/** A POST of `body`; bytes, so that no type is set unless `type` says one. */
const post = (body: string, type: string | null = "application/json") =>
  new Request("http://registry/x", {
    method: "POST",
    body: new TextEncoder().encode(body),
    headers: type ? { "content-type": type } : {},
  });

async function refusal(p: Promise<unknown>): Promise<[number, number, string]> {
  const err = await p.then(() => assert.fail("accepted"), (e) => e);
  assert.ok(err instanceof RegistryError);
  return [err.status, err.code, err.message];
}

Deno.test("json and errorResponse answer with Confluent's content type and body", async () => {
  const ok = json({ id: 1 });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("content-type"), REGISTRY_CONTENT_TYPE);
  assert.deepEqual(await ok.json(), { id: 1 });
  const err = errorResponse(422, 42201, "Empty schema");
  assert.equal(err.status, 422);
  assert.deepEqual(await err.json(), { error_code: 42201, message: "Empty schema" });
});

Deno.test("flag is true only for `true`, in any case", () => {
  const q = new URLSearchParams("a=TRUE&b=1&c=false");
  assert.deepEqual(["a", "b", "c", "d"].map((n) => flag(q, n)), [true, false, false, false]);
});

Deno.test("readBody: a JSON object of an accepted type, 415 or 400 otherwise", async () => {
  assert.deepEqual(await readBody(post('{"a":1}', "application/json; charset=utf-8")), { a: 1 });
  assert.deepEqual(await readBody(post('{"a":1}', null)), { a: 1 });
  assert.deepEqual(await refusal(readBody(post("{}", "text/plain"))), [
    415,
    415,
    "Unsupported Media Type: text/plain",
  ]);
  assert.equal((await refusal(readBody(post("{", "application/json"))))[0], 400);
  assert.deepEqual(await refusal(readBody(post("[1]", "application/json"))), [
    400,
    400,
    "The request body must be a JSON object",
  ]);
});

Deno.test("readSchema: an Avro schema, else 42201 with why", async () => {
  const schema = JSON.stringify({ type: "record", name: "R", fields: [] });
  assert.ok(await readSchema(post(JSON.stringify({ schema }))));
  const why = async (body: unknown) => (await refusal(readSchema(post(JSON.stringify(body)))));
  assert.deepEqual((await why({ schema, schemaType: "JSON" })).slice(0, 2), [422, 42201]);
  assert.match((await why({ schema, references: [{}] }))[2], /references are not supported/);
  assert.deepEqual(await why({ schema: " " }), [422, 42201, "Empty schema"]);
  assert.equal((await why({ schema: '{"type":"nope"}' }))[1], 42201);
});
