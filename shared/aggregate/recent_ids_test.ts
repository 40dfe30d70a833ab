import assert from "node:assert/strict";
import { RecentIds } from "./recent_ids.ts";

Deno.test("RecentIds: repeats are caught, the oldest are forgotten beyond capacity", () => {
  const seen = new RecentIds(3);
  assert.equal(seen.add("a"), true);
  assert.equal(seen.add("a"), false);
  seen.add("b");
  seen.add("c");
  seen.add("d");
  assert.equal(seen.has("a"), false);
  assert.equal(seen.size, 3);
  assert.deepEqual(seen.toJSON(), ["b", "c", "d"]);
  assert.equal(seen.add("b"), false, "a repeat does not refresh its age");
});

Deno.test("RecentIds: round-trips through JSON", () => {
  const seen = new RecentIds(5, ["x", "y"]);
  const back = new RecentIds(5, JSON.parse(JSON.stringify(seen)));
  assert.deepEqual(back.toJSON(), ["x", "y"]);
  assert.equal(back.add("x"), false);
  assert.throws(() => new RecentIds(0), RangeError);
});
