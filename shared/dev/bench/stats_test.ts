import assert from "node:assert/strict";
import { cpuPer10k, latencySummary, percentile, perSecond } from "./stats.ts";

Deno.test("percentile: nearest rank, order does not matter", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 95), 95);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 1), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 0), RangeError);
});

Deno.test("latencySummary: figures from one list", () => {
  const s = latencySummary([10, 20, 30, 40]);
  assert.deepEqual(s, { count: 4, p50: 20, p95: 40, p99: 40, max: 40, mean: 25 });
  assert.equal(latencySummary([]).count, 0);
  assert.ok(Number.isNaN(latencySummary([]).p99));
});

Deno.test("rates and CPU per 10k", () => {
  assert.equal(perSecond(1000, 2), 500);
  assert.equal(perSecond(1000, 0), 0);
  assert.equal(cpuPer10k(3, 30_000), 1);
  assert.ok(Number.isNaN(cpuPer10k(3, 0)));
});
