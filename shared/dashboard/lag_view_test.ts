import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import { DEFAULT_LAG_TARGETS, lagGroupView, overallLag, parseLagTargets } from "./lag_view.ts";

Deno.test("lag targets are group:topic, split at the last colon, without repeats", () => {
  assert.deepEqual(parseLagTargets(["a:b:orders", "g:t", "g:t"]), [
    { group: "a:b", topic: "orders" },
    { group: "g", topic: "t" },
  ]);
  assert.equal(parseLagTargets(DEFAULT_LAG_TARGETS).length, DEFAULT_LAG_TARGETS.length);
  for (const bad of ["orders", ":orders", "g:", "g:bad topic"]) {
    assert.throws(
      () => parseLagTargets([bad]),
      (e) => e instanceof ConfigError && e.flag === "lag",
    );
  }
});

Deno.test("a group's view sums its partitions and says whether it committed", () => {
  const target = { group: "g", topic: "t" };
  const view = lagGroupView(target, [
    { partition: 0, committed: 10, end: 12, lag: 2 },
    { partition: 1, committed: -1, end: 5, lag: 5 },
  ]);
  assert.equal(view.total, 7);
  assert.equal(view.active, true);
  const idle = lagGroupView(target, [{ partition: 0, committed: -1, end: 3, lag: 3 }]);
  assert.equal(idle.active, false);
  const missing = lagGroupView(target, { error: "no such topic" });
  assert.deepEqual([missing.total, missing.error], [0, "no such topic"]);
  assert.equal(overallLag([view, idle, missing]), 10);
});
