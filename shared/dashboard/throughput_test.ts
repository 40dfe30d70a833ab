import assert from "node:assert/strict";
import { ThroughputHistory, type TotalsSample } from "./throughput.ts";

const sample = (at: number, orders: number, processed = 0): TotalsSample => ({
  at,
  orders,
  processed,
  deadLettered: 0,
  retried: 0,
});

Deno.test("rates are differences per second over the window", () => {
  const h = new ThroughputHistory();
  for (let i = 0; i <= 20; i++) h.add(sample(i * 1000, i * 10, i * 5));
  assert.equal(h.rate("orders"), 10);
  assert.equal(h.rate("processed"), 5);
  assert.equal(h.rate("deadLettered"), 0);
});

Deno.test("points smooth a total that moves once every other sample", () => {
  const h = new ThroughputHistory({ smoothMs: 4000 });
  // The total moves by 20 every 2 s, the samples come every second.
  for (let i = 0; i <= 10; i++) h.add(sample(i * 1000, Math.floor(i / 2) * 20));
  const late = h.points().slice(-4).map((p) => p.orders);
  assert.ok(late.every((r) => r >= 7.5 && r <= 12.5), `smoothed: ${late}`);
});

Deno.test("a total going down starts afresh instead of drawing a negative rate", () => {
  const h = new ThroughputHistory();
  h.add(sample(0, 100));
  h.add(sample(1000, 200));
  h.add(sample(2000, 5));
  assert.deepEqual(h.points(), []);
  h.add(sample(3000, 15));
  assert.equal(h.points().at(-1)?.orders, 10);
});

Deno.test("old points go, stale or repeated samples are ignored", () => {
  const h = new ThroughputHistory({ keepMs: 10_000, smoothMs: 1000 });
  for (let i = 0; i <= 60; i++) h.add(sample(i * 1000, i));
  h.add(sample(60_000, 999));
  const points = h.points();
  assert.ok(points.length <= 11, `${points.length} points kept`);
  assert.equal(points[0].at, 50_000);
  assert.equal(h.rate("orders"), 1);
  assert.equal(new ThroughputHistory().rate("orders"), 0);
});
