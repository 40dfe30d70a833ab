import assert from "node:assert/strict";
import { bump, decodeState, DEFAULT_LIMITS, emptyState, encodeState, StateError } from "./state.ts";

Deno.test("state: round-trips through its persisted form", () => {
  const state = emptyState();
  state.offsets.orders = { "0": 12 };
  state.status.recentIds.add("inventory:o-1:0");
  state.orders.valid = { count: 2, cents: 4998 };
  const back = decodeState(encodeState(state));
  assert.deepEqual(back.offsets, { orders: { "0": 12 } });
  assert.equal(back.status.recentIds.add("inventory:o-1:0"), false, "remembered ids survive");
  assert.deepEqual(back.orders.valid, { count: 2, cents: 4998 });
  assert.deepEqual(back.limits, DEFAULT_LIMITS);
  assert.equal(encodeState(back), encodeState(state));
});

Deno.test("state: what is not a state of this version is refused with a reason", () => {
  assert.throws(
    () => decodeState("{"),
    (e: Error) => e instanceof StateError && /JSON/.test(e.message),
  );
  assert.throws(() => decodeState('{"version":99}'), /version 99/);
  assert.throws(() => decodeState('{"version":1}'), /no orders/);
});

Deno.test("bump counts under any key", () => {
  const r: Record<string, number> = {};
  bump(r, "constructor");
  bump(r, "constructor", 2);
  bump(r, "a");
  assert.deepEqual(r, { constructor: 3, a: 1 });
});
