import assert from "node:assert/strict";
import { chaosSchedule, coordinatorPartition, javaStringHash } from "./chaos.ts";

Deno.test("javaStringHash matches Java's String.hashCode", () => {
  // Values from Java: "".hashCode() == 0, "a" == 97, "hello" == 99162322,
  // "inventory-orders-producer-orders-0" overflows 32 bits.
  assert.equal(javaStringHash(""), 0);
  assert.equal(javaStringHash("a"), 97);
  assert.equal(javaStringHash("hello"), 99162322);
  assert.equal(javaStringHash("polygenelubricants"), -2147483648);
});

Deno.test("coordinatorPartition: Kafka's Utils.abs (Math.abs, MIN_VALUE to 0), then modulo", () => {
  assert.equal(coordinatorPartition("polygenelubricants", 3), 0);
  assert.equal(coordinatorPartition("hello", 3), 99162322 % 3);
  // A negative hash: Math.abs, not the sign bit cleared (-286794356 → 286794356 % 3 = 2),
  // as jshell says of ("inventory-orders-producer-orders-0".hashCode()).
  assert.equal(javaStringHash("inventory-orders-producer-orders-0"), -286794356);
  assert.equal(coordinatorPartition("inventory-orders-producer-orders-0", 3), 2);
  for (const id of ["a", "b", "inventory-orders-producer-orders-0"]) {
    const p = coordinatorPartition(id, 50);
    assert.ok(p >= 0 && p < 50);
  }
});

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
