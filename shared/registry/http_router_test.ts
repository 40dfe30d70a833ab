import assert from "node:assert/strict";
import { matchSegments, Router, splitPath } from "./http_router.ts";

Deno.test("splitPath drops empty segments and does not decode", () => {
  assert.deepEqual(splitPath("/subjects//a%2Fb/"), ["subjects", "a%2Fb"]);
  assert.deepEqual(splitPath("/"), []);
});

Deno.test("matchSegments: exact counts, literal segments, :name parameters", () => {
  const pattern = splitPath("/subjects/:subject/versions/:version");
  assert.deepEqual(matchSegments(pattern, ["subjects", "s", "versions", "2"]), {
    subject: "s",
    version: "2",
  });
  assert.equal(matchSegments(pattern, ["subjects", "s", "versions"]), undefined);
  assert.equal(matchSegments(pattern, ["subjects", "s", "schemas", "2"]), undefined);
  assert.deepEqual(matchSegments([], []), {});
});

Deno.test("the router answers the first route of the method, else 405 for a known path, else 404", () => {
  const router = new Router<string>([
    ["GET", "/subjects/:subject", "get"],
    ["DELETE", "/subjects/:subject", "delete"],
    ["GET", "/subjects/latest", "never: the pattern above comes first"],
  ]);
  assert.deepEqual(router.match("GET", ["subjects", "latest"]), {
    handler: "get",
    params: { subject: "latest" },
  });
  assert.equal(router.match("DELETE", ["subjects", "x"]) !== 404, true);
  assert.equal(router.match("PUT", ["subjects", "x"]), 405);
  assert.equal(router.match("GET", ["subjects"]), 404);
  assert.equal(new Router<string>([]).match("GET", []), 404);
});
