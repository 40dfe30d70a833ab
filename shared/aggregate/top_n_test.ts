import assert from "node:assert/strict";
import { topBy, topN } from "./top_n.ts";

Deno.test("topN: highest first, ties by key, at most n", () => {
  assert.deepEqual(topN({ b: 5, a: 5, c: 9, d: 1 }, 3), [["c", 9], ["a", 5], ["b", 5]]);
  assert.deepEqual(topN({ a: 1 }, 5), [["a", 1]]);
  assert.deepEqual(topN({ a: 1 }, 0), []);
  assert.deepEqual(topN(new Map([["x", 2], ["y", 3]]), 1), [["y", 3]]);
});

Deno.test("topBy scores records", () => {
  const products = { p1: { units: 2, revenue: 10 }, p2: { units: 7, revenue: 3 } };
  assert.deepEqual(topBy(products, 1, (p) => p.units), [["p2", { units: 7, revenue: 3 }]]);
  assert.deepEqual(topBy(products, 1, (p) => p.revenue)[0][0], "p1");
});
