import assert from "node:assert/strict";
import { EndTracker } from "./read_end.ts";

Deno.test("empty partitions are done at once", () => {
  const end = new EndTracker([
    { topic: "t", partition: 0, low: 0, high: 0 },
    { topic: "t", partition: 1, low: 5, high: 5 },
  ]);
  assert.equal(end.done, true);
  assert.deepEqual(end.remaining(), []);
});

Deno.test("a partition is done once the position passes mark - 1, markers counted", () => {
  const end = new EndTracker([
    { topic: "t", partition: 0, low: 0, high: 4 },
    { topic: "u", partition: 0, low: 2, high: 3 },
  ]);
  assert.equal(end.observe("t", 0, "1"), false);
  assert.deepEqual(end.remaining(), [
    { topic: "t", partition: 0, position: 2, mark: 4 },
    { topic: "u", partition: 0, position: 2, mark: 3 },
  ]);
  // Offset 3 is the transaction's COMMIT marker: the batch's lastOffset says 3.
  assert.equal(end.observe("t", 0, "3"), true);
  assert.equal(end.done, false);
  assert.equal(end.observe("u", 0, "7"), true, "past the mark counts too");
  assert.equal(end.done, true);
  assert.equal(end.observe("t", 0, "9"), false, "a done partition stays done");
});

Deno.test("records past the mark, or of a done partition, are not part of the read", () => {
  const end = new EndTracker([{ topic: "t", partition: 0, low: 0, high: 3 }]);
  assert.equal(end.includes("t", 0, "2"), true);
  assert.equal(end.includes("t", 0, "3"), false);
  assert.equal(end.includes("t", 1, "0"), false);
  end.observe("t", 0, "2");
  assert.equal(end.includes("t", 0, "1"), false);
});
