import assert from "node:assert/strict";
import { parseJsonObject } from "./json_object.ts";

interface Sample {
  id: string;
  n: number;
}

Deno.test("a JSON object with its string fields is returned as it is, from bytes or text", () => {
  const text = '{"id":"a","n":2}';
  assert.deepEqual(parseJsonObject<Sample>(text, ["id"]), { id: "a", n: 2 });
  assert.deepEqual(parseJsonObject<Sample>(new TextEncoder().encode(text), ["id"]), {
    id: "a",
    n: 2,
  });
});

Deno.test("anything else gets the reason a dead letter carries", () => {
  const cases: [Uint8Array | string | null | undefined, string][] = [
    [null, "empty record (no value)"],
    [undefined, "empty record (no value)"],
    ["[1]", "not a JSON object"],
    ["null", "not a JSON object"],
    ['{"n":1}', "id: missing or not a string"],
    ['{"id":""}', "id: missing or not a string"],
    ['{"id":3}', "id: missing or not a string"],
  ];
  for (const [value, invalid] of cases) {
    assert.deepEqual(parseJsonObject<Sample>(value, ["id"]), { invalid }, String(value));
  }
  const notJson = parseJsonObject<Sample>("{", ["id"]);
  assert.ok("invalid" in notJson && notJson.invalid.startsWith("not JSON: "));
});
