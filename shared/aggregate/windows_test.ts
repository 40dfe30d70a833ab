import assert from "node:assert/strict";
import {
  addSliding,
  addTumbling,
  emptySliding,
  emptyTumbling,
  slidingRange,
  slidingTotals,
  slotStart,
} from "./windows.ts";
import { createRandom } from "../orders/generate.ts";

const MIN = 60_000;

Deno.test("tumbling: counts per slot, oldest first", () => {
  const w = emptyTumbling(MIN, 10);
  addTumbling(w, 5 * MIN + 1);
  addTumbling(w, 5 * MIN + 59_999);
  addTumbling(w, 7 * MIN);
  addTumbling(w, 3 * MIN, 4);
  assert.deepEqual(w.slots, [[3 * MIN, 4], [5 * MIN, 2], [7 * MIN, 1]]);
  assert.equal(w.late, 0);
});

Deno.test("tumbling: keeps the newest slots; older events are late", () => {
  const w = emptyTumbling(MIN, 3);
  addTumbling(w, 0);
  addTumbling(w, 1 * MIN);
  addTumbling(w, 4 * MIN); // drops slots 0 and 1 (kept: 2, 3, 4)
  assert.deepEqual(w.slots, [[4 * MIN, 1]]);
  addTumbling(w, 2 * MIN);
  addTumbling(w, 1 * MIN);
  assert.deepEqual(w.slots, [[2 * MIN, 1], [4 * MIN, 1]]);
  assert.equal(w.late, 1);
});

Deno.test("tumbling: the result does not depend on arrival order", () => {
  const random = createRandom(4);
  const times = Array.from({ length: 500 }, () => Math.floor(random() * 30 * MIN));
  const inOrder = emptyTumbling(MIN, 12);
  for (const t of [...times].sort((a, b) => a - b)) addTumbling(inOrder, t);
  const shuffled = emptyTumbling(MIN, 12);
  for (const t of times) addTumbling(shuffled, t);
  assert.deepEqual(shuffled.slots, inOrder.slots);
  // Independently: the 12 newest slots from the maximum.
  const newest = slotStart(Math.max(...times), MIN);
  const expected = new Map<number, number>();
  for (const t of times) {
    const s = slotStart(t, MIN);
    if (s > newest - 12 * MIN) expected.set(s, (expected.get(s) ?? 0) + 1);
  }
  assert.deepEqual(shuffled.slots, [...expected].sort((a, b) => a[0] - b[0]));
});

Deno.test("tumbling: bad sizes are refused", () => {
  assert.throws(() => emptyTumbling(0, 1), RangeError);
  assert.throws(() => emptyTumbling(MIN, 0), RangeError);
});

Deno.test("sliding: counts per key over the newest slots", () => {
  const s = emptySliding(30_000, 10_000);
  assert.equal(slidingRange(s), undefined);
  addSliding(s, "a", 1_000);
  addSliding(s, "b", 12_000);
  addSliding(s, "a", 25_000);
  assert.deepEqual(slidingTotals(s), { a: 2, b: 1 });
  assert.deepEqual(slidingRange(s), { from: 0, to: 30_000 });
  addSliding(s, "c", 31_000); // the slot of 0..10 s leaves the window
  assert.deepEqual(slidingTotals(s), { a: 1, b: 1, c: 1 });
  assert.deepEqual(slidingRange(s), { from: 10_000, to: 40_000 });
  addSliding(s, "a", 5_000);
  assert.equal(s.late, 1);
  assert.deepEqual(slidingTotals(s), { a: 1, b: 1, c: 1 });
});

Deno.test("sliding: the result does not depend on arrival order", () => {
  const random = createRandom(11);
  const events = Array.from({ length: 800 }, () => ({
    key: `k${Math.floor(random() * 7)}`,
    at: Math.floor(random() * 20 * MIN),
  }));
  const sorted = emptySliding(5 * MIN, 10_000);
  for (const e of [...events].sort((a, b) => a.at - b.at)) addSliding(sorted, e.key, e.at);
  const shuffled = emptySliding(5 * MIN, 10_000);
  for (const e of events) addSliding(shuffled, e.key, e.at);
  assert.deepEqual(slidingTotals(shuffled), slidingTotals(sorted));
  const { from, to } = slidingRange(shuffled)!;
  const expected: Record<string, number> = {};
  for (const e of events) {
    if (e.at >= from && e.at < to) expected[e.key] = (expected[e.key] ?? 0) + 1;
  }
  assert.deepEqual(slidingTotals(shuffled), expected);
  assert.ok(shuffled.slots.length <= 30, "bounded: size / slide slots");
});

Deno.test("sliding: the size must be a multiple of the slide", () => {
  assert.throws(() => emptySliding(25_000, 10_000), /multiple/);
  assert.throws(() => emptySliding(10_000, 0), RangeError);
});
