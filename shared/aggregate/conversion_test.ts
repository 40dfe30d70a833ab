import assert from "node:assert/strict";
import {
  addOrder,
  addView,
  conversionRate,
  type ConversionState,
  emptyConversion,
  prune,
} from "./conversion.ts";
import { createRandom } from "../orders/generate.ts";

const HOUR = 3_600_000;

Deno.test("conversion: a view followed by an order of that product by that user converts", () => {
  const c = emptyConversion(HOUR, 100);
  addView(c, "u1", "p1", 1_000);
  addView(c, "u1", "p1", 2_000); // the same pair again
  addView(c, "u1", "p2", 1_500);
  addView(c, "u2", "p1", 1_000);
  addOrder(c, "u1", "p1", 3_000);
  addOrder(c, "u2", "p9", 3_000); // not viewed
  assert.equal(c.viewedPairs, 3);
  assert.equal(c.convertedPairs, 1);
  assert.equal(conversionRate(c), 1 / 3);
  addOrder(c, "u1", "p1", 4_000); // a second order converts nothing new
  assert.equal(c.convertedPairs, 1);
});

Deno.test("conversion: a view after the order does not convert it, a later order does", () => {
  const c = emptyConversion(HOUR, 100);
  addOrder(c, "u", "p", 1_000);
  addView(c, "u", "p", 2_000);
  assert.equal(c.convertedPairs, 0);
  addOrder(c, "u", "p", 3_000);
  assert.equal(c.convertedPairs, 1);
  assert.equal(conversionRate(emptyConversion(HOUR, 1)), 0);
});

Deno.test("conversion: the figures do not depend on arrival order", () => {
  const random = createRandom(5);
  type E = { kind: "view" | "order"; user: string; sku: string; at: number };
  const events: E[] = Array.from({ length: 3000 }, () => ({
    kind: random() < 0.7 ? "view" : "order",
    user: `u${Math.floor(random() * 40)}`,
    sku: `p${Math.floor(random() * 10)}`,
    at: Math.floor(random() * 600_000),
  }));
  const feed = (list: E[]) => {
    const c = emptyConversion(HOUR, 10_000);
    for (const e of list) (e.kind === "view" ? addView : addOrder)(c, e.user, e.sku, e.at);
    return c;
  };
  const a = feed(events);
  const b = feed([...events].sort((x, y) => x.at - y.at));
  assert.equal(a.viewedPairs, b.viewedPairs);
  assert.equal(a.convertedPairs, b.convertedPairs);
  // Independently: pairs whose first view is at or before their last order.
  const first = new Map<string, number>(), last = new Map<string, number>();
  for (const e of events) {
    const k = `${e.user}/${e.sku}`;
    if (e.kind === "view") first.set(k, Math.min(first.get(k) ?? Infinity, e.at));
    else last.set(k, Math.max(last.get(k) ?? -Infinity, e.at));
  }
  const converted = [...first].filter(([k, v]) => (last.get(k) ?? -Infinity) >= v).length;
  assert.equal(a.viewedPairs, first.size);
  assert.equal(a.convertedPairs, converted);
});

Deno.test("conversion: state stays bounded by retention and capacity", () => {
  const c: ConversionState = emptyConversion(10_000, 50);
  for (let i = 0; i < 1000; i++) addView(c, `u${i}`, "p", i * 100);
  assert.ok(c.size <= 50 * 1.25 + 1, `size ${c.size}`);
  assert.equal(Object.keys(c.pairs).length, c.size);
  prune(c);
  assert.ok(c.size <= 50);
  assert.ok(Object.values(c.pairs).every((p) => p[2] >= c.watermark - 10_000));
  assert.equal(c.viewedPairs, 1000, "counted totals are kept");
});
