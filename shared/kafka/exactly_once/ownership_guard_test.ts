import assert from "node:assert/strict";
import type { Admin } from "kafkajs";
import { ownershipGuard, stableCommittedOffset } from "./ownership_guard.ts";

/** An admin whose committed offsets are read, in turn, from `reads` (the last one repeats). */
function fakeAdmin(reads: Record<number, number>[]) {
  let calls = 0;
  const admin = {
    fetchOffsets: () => {
      const offsets = reads[Math.min(calls++, reads.length - 1)];
      return Promise.resolve([{
        topic: "t",
        partitions: Object.entries(offsets).map(([p, o]) => ({
          partition: Number(p),
          offset: String(o),
        })),
      }]);
    },
  } as unknown as Pick<Admin, "fetchOffsets">;
  return { admin, calls: () => calls };
}

const messages = (...offsets: number[]) => offsets.map((o) => ({ offset: String(o) }));

Deno.test("stableCommittedOffset reads the group's offset of one partition, -1 when it has none", async () => {
  const { admin } = fakeAdmin([{ 0: 7 }]);
  assert.equal(await stableCommittedOffset(admin, "g", "t", 0), 7);
  assert.equal(await stableCommittedOffset(admin, "g", "t", 1), -1);
});

Deno.test("fresh skips what the previous owner committed, by the higher of two reads (a stale read is lower)", async () => {
  const { admin, calls } = fakeAdmin([{ 0: 3 }, { 0: 5 }]);
  const guard = ownershipGuard(admin, "g", undefined, 0);
  assert.deepEqual(await guard.fresh("t", 0, messages(3, 4, 5, 6)), messages(5, 6));
  assert.equal(calls(), 2);
  // Checked once per assignment: the next batch passes as it is.
  assert.deepEqual(await guard.fresh("t", 0, messages(3, 4)), messages(3, 4));
  assert.equal(calls(), 2);
});

Deno.test("after a rebalance or a failed transaction, the partition is checked again, never below its own commits", async () => {
  const { admin, calls } = fakeAdmin([{ 0: 2 }]);
  const guard = ownershipGuard(admin, "g", undefined, 0);
  await guard.fresh("t", 0, messages(2));
  guard.committed("t", 0, 10);
  guard.forget("t", 0);
  // The group still says 2 (not yet applied): this process's own commit wins.
  assert.deepEqual(await guard.fresh("t", 0, messages(8, 9, 10, 11)), messages(10, 11));
  assert.equal(calls(), 4);
  guard.reset();
  assert.deepEqual(await guard.fresh("t", 0, messages(9, 12)), messages(12));
  assert.equal(calls(), 6);
});

Deno.test("a partition with no committed offset starts wherever the group does", async () => {
  const { admin } = fakeAdmin([{}]);
  const guard = ownershipGuard(admin, "g", undefined, 0);
  assert.deepEqual(await guard.fresh("t", 3, messages(0, 1)), messages(0, 1));
});
