import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { foldBatch, offsetsToCommit } from "./aggregator_loop.ts";
import { DEFAULT_LIMITS, emptyState } from "./state.ts";

const click = (offset: number, productId: string) => ({
  offset: String(offset),
  value: Buffer.from(JSON.stringify({ type: "view", productId, sessionId: "s", at: 0 })),
  headers: {},
});

Deno.test("a state transaction commits the state's own offsets, only for the topics read now", () => {
  const state = { offsets: { orders: { 0: 5, 1: 7 }, "orders-dlq": { 0: 2 } } };
  assert.deepEqual(offsetsToCommit(state, ["orders", "clicks"]), [
    { topic: "orders", partitions: [{ partition: 0, offset: "5" }, { partition: 1, offset: "7" }] },
  ]);
  assert.deepEqual(offsetsToCommit(state, []), []);
});

Deno.test("a batch folds once: redelivered records below the state's offsets are seen, not counted again", () => {
  const state = emptyState(DEFAULT_LIMITS);
  const batch = { topic: "clicks", partition: 0, messages: [click(0, "P1"), click(1, "P2")] };
  assert.deepEqual(foldBatch(state, "clicks", batch, 0), { folded: 2, seen: 0 });
  const again = { ...batch, messages: [click(1, "P2"), click(2, "P3")] };
  assert.deepEqual(foldBatch(state, "clicks", again, 0), { folded: 1, seen: 1 });
  assert.equal(state.offsets.clicks[0], 3, "the next offset to fold");
});
