import assert from "node:assert/strict";
import { type BatchPart, createLingerQueue, messageCount, splitBatches } from "./linger_queue.ts";

const part = (messages: number, bytes = messages) => ({
  messages: Array.from({ length: messages }, (_, i) => `m${i}`),
  bytes,
});
const sizes = (batches: BatchPart[][]) => batches.map((b) => b.map((p) => p.messages.length));

Deno.test("parts are cut into batches within both limits, in order, never split", () => {
  const limits = { maxBatch: 5, maxBatchBytes: 100 };
  assert.deepEqual(sizes(splitBatches([part(2), part(3), part(1)], limits)), [[2, 3], [1]]);
  assert.deepEqual(
    sizes(splitBatches([part(7), part(1)], limits)),
    [[7], [1]],
    "a large part alone",
  );
  const bytes = { maxBatch: 500, maxBatchBytes: 10 };
  assert.deepEqual(sizes(splitBatches([part(1, 6), part(1, 6), part(1, 4)], bytes)), [[1], [1, 1]]);
  assert.deepEqual(splitBatches([], limits), []);
  assert.equal(messageCount([part(2), part(3)]), 5);
});

/** A queue whose sends are recorded and settle when the test says so. */
function recordingQueue(options: { lingerMs: number; maxBatch: number; maxBatchBytes: number }) {
  const sent: { sizes: number[]; count: number; settle: () => void }[] = [];
  const queue = createLingerQueue<BatchPart>({
    ...options,
    send: (batch, count) =>
      new Promise<void>((settle) => sent.push({ sizes: sizes([batch])[0], count, settle })),
  });
  return { queue, sent };
}

Deno.test("parts wait for the linger, then go out together", async () => {
  const { queue, sent } = recordingQueue({ lingerMs: 20, maxBatch: 10, maxBatchBytes: 1000 });
  queue.push(part(2));
  queue.push(part(3));
  assert.equal(sent.length, 0, "nothing before the linger ends");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(sent.map((s) => [s.sizes, s.count]), [[[2, 3], 5]]);
  sent[0].settle();
});

Deno.test("a full queue goes out at once; settled waits for the sends in flight", async () => {
  const { queue, sent } = recordingQueue({ lingerMs: 60_000, maxBatch: 4, maxBatchBytes: 1000 });
  queue.push(part(3));
  queue.push(part(2));
  assert.deepEqual(sent.map((s) => s.sizes), [[3], [2]], "full: out in two batches, no wait");
  let settled = false;
  const waiting = queue.settled().then(() => settled = true);
  sent[0].settle();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(settled, false, "one batch is still in flight");
  sent[1].settle();
  await waiting;
  queue.push(part(1));
  queue.flush();
  assert.deepEqual(sent.map((s) => s.sizes), [[3], [2], [1]], "flush sends what waits");
  sent[2].settle();
  await queue.settled();
});
