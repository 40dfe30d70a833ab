import assert from "node:assert/strict";
import { createFetchQueue, type FetchedRecord } from "./fetch_queue.ts";

interface M {
  id: string;
  dueAt?: number;
}

const rec = (partition: number, offset: number, generationId = 1, dueAt = 0): FetchedRecord<M> => ({
  topic: "t",
  partition,
  offset: BigInt(offset),
  generationId,
  message: { id: `${partition}:${offset}`, dueAt },
});

const queue = () => {
  const q = createFetchQueue<M>({ dueAt: (m) => m.dueAt ?? 0 });
  q.assign(1, [{ topic: "t", partition: 0 }, { topic: "t", partition: 1 }]);
  return q;
};

const ids = (q: ReturnType<typeof queue>, limit = 100, now = 1000) =>
  q.take(limit, now).chunks.map((c) => c.messages.map((m) => m.id));

Deno.test("fetch queue: each partition's records in order, one chunk per partition", () => {
  const q = queue();
  q.push([rec(0, 0), rec(1, 5), rec(0, 1)]);
  assert.deepEqual(ids(q), [["0:0", "0:1"], ["1:5"]]);
  assert.deepEqual(q.size, 0);
});

Deno.test("fetch queue: records of another generation or of a partition not owned are dropped", () => {
  const q = queue();
  assert.deepEqual(q.push([rec(0, 0, 0), rec(2, 0), rec(0, 1)]), 2);
  assert.deepEqual(ids(q), [["0:1"]]);
});

Deno.test("fetch queue: a record delivered again is dropped", () => {
  const q = queue();
  q.push([rec(0, 0), rec(0, 1)]);
  assert.deepEqual(q.push([rec(0, 1), rec(0, 2)]), 1);
  assert.deepEqual(ids(q), [["0:0", "0:1", "0:2"]]);
});

Deno.test("fetch queue: a new assignment forgets what was queued and where each partition was", () => {
  const q = queue();
  q.push([rec(0, 3)]);
  q.assign(2, [{ topic: "t", partition: 0 }]);
  assert.deepEqual(q.size, 0);
  assert.deepEqual(q.push([rec(0, 3, 1)]), 1); // fetched under the old generation
  q.push([rec(0, 0, 2)]); // from the committed offset again
  assert.deepEqual(ids(q), [["0:0"]]);
});

Deno.test("fetch queue: clear starts each partition over from the committed offset", () => {
  const q = queue();
  q.push([rec(0, 0), rec(0, 1)]);
  q.take(1, 1000);
  q.clear();
  q.push([rec(0, 1)]);
  assert.deepEqual(ids(q), [["0:1"]]);
});

Deno.test("fetch queue: the limit counts records across partitions", () => {
  const q = queue();
  q.push([rec(0, 0), rec(0, 1), rec(0, 2), rec(1, 0)]);
  assert.deepEqual(ids(q, 2), [["0:0", "0:1"]]);
  assert.deepEqual(ids(q, 2), [["0:2"], ["1:0"]]);
});

Deno.test("fetch queue: a record not yet due holds its partition, in order, and says when", () => {
  const q = queue();
  q.push([rec(0, 0, 1, 500), rec(0, 1, 1, 2000), rec(0, 2, 1, 0), rec(1, 0, 1, 3000)]);
  const first = q.take(100, 1000);
  assert.deepEqual(first.chunks.map((c) => c.messages.map((m) => m.id)), [["0:0"]]);
  assert.deepEqual(first.nextDueAt, 2000);
  assert.deepEqual(ids(q, 100, 1500), []);
  assert.deepEqual(ids(q, 100, 2500), [["0:1", "0:2"]]);
  assert.deepEqual(q.take(100, 2500).nextDueAt, 3000);
});
