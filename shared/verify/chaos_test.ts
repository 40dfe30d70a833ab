import assert from "node:assert/strict";
import { chaosSchedule } from "./chaos.ts";

Deno.test("chaosSchedule spreads script kills evenly and picks the worst nodes first", () => {
  const plan = chaosSchedule({
    scripts: ["a", "b", "c", "d", "e"],
    scriptKills: 20,
    nodeKills: 3,
    durationMs: 100_000,
    seed: 42,
  });
  const scripts = plan.filter((e) => e.kind === "script");
  assert.equal(scripts.length, 20);
  for (const name of ["a", "b", "c", "d", "e"]) {
    assert.equal(scripts.filter((e) => e.kind === "script" && e.target === name).length, 4);
  }
  const nodes = plan.filter((e) => e.kind === "node");
  assert.deepEqual(nodes.map((e) => e.kind === "node" && e.pick), [
    "most-leaders",
    "transaction-coordinator",
    "any",
  ]);
  assert.ok(plan.every((e, i) => i === 0 || plan[i - 1].atMs <= e.atMs), "in time order");
  assert.ok(plan.every((e) => e.atMs > 0 && e.atMs < 100_000));
  assert.deepEqual(
    chaosSchedule({ scripts: ["a", "b"], scriptKills: 4, nodeKills: 0, durationMs: 10, seed: 1 }),
    chaosSchedule({ scripts: ["a", "b"], scriptKills: 4, nodeKills: 0, durationMs: 10, seed: 1 }),
    "a seed replays its schedule",
  );
});
