import assert from "node:assert/strict";
import { Consumer, findErrorBy, kPerformWithRetry, ResponseError } from "@platformatic/kafka";
import {
  DEFAULT_STABLE_OFFSETS,
  nextUnstableDelay,
  StableOffsetsConsumer,
  unstableIn,
  unstableNotRetried,
  UnstableOffsetsTimeoutError,
  unstablePartitions,
} from "./stable_offsets.ts";

/** The library's own error for an OffsetFetch v9 answer with partition 1 of "orders" unstable. */
function unstableAnswer(): ResponseError {
  const response = {
    throttleTimeMs: 0,
    groups: [{
      groupId: "g",
      errorCode: 0,
      topics: [{
        name: "orders",
        partitions: [
          { partitionIndex: 0, committedOffset: 5n, errorCode: 0 },
          { partitionIndex: 1, committedOffset: -1n, errorCode: 88 },
        ],
      }],
    }],
  };
  return new ResponseError(9, 9, { "/groups/0/topics/0/partitions/1": [88, null] }, response);
}

Deno.test("pauses double from the first, stop at the most, and never run past the limit", () => {
  const s = { maxWaitMs: 1_000, firstDelayMs: 100, maxDelayMs: 300 };
  assert.deepEqual([0, 1, 2, 3].map((a) => nextUnstableDelay(a, 0, s)), [100, 200, 300, 300]);
  assert.equal(nextUnstableDelay(5, 950, s), 50);
  assert.equal(nextUnstableDelay(6, 1_000, s), undefined);
  assert.equal(nextUnstableDelay(6, 1_200, s), undefined);
});

Deno.test("all the pauses of one fetch add up to its limit, not a multiple of it", () => {
  let waited = 0, pauses = 0;
  for (
    let delay;
    (delay = nextUnstableDelay(pauses, waited, DEFAULT_STABLE_OFFSETS)) !== undefined;
  ) {
    waited += delay;
    pauses++;
  }
  assert.equal(waited, DEFAULT_STABLE_OFFSETS.maxWaitMs);
  // Short pauses first, then one every maxDelayMs: about maxWaitMs / maxDelayMs requests.
  const { maxWaitMs, maxDelayMs } = DEFAULT_STABLE_OFFSETS;
  assert.ok(pauses <= Math.ceil(maxWaitMs / maxDelayMs) + 4, `${pauses} pauses`);
});

Deno.test("the unstable partitions are read from an answer by group, or by topic before v8", () => {
  assert.deepEqual(unstablePartitions(unstableAnswer().response), [{
    topic: "orders",
    partition: 1,
  }]);
  const legacy = { topics: [{ name: "t", partitions: [{ partitionIndex: 3, errorCode: 88 }] }] };
  assert.deepEqual(unstablePartitions(legacy), [{ topic: "t", partition: 3 }]);
  assert.deepEqual(unstablePartitions(undefined), []);
});

Deno.test("UNSTABLE_OFFSET_COMMIT becomes an error the library will not retry; others pass as they are", () => {
  const raw = unstableAnswer();
  assert.equal(findErrorBy(raw, "canRetry", false), null); // the library would retry it
  const mapped = unstableNotRetried(raw)!;
  assert.ok(findErrorBy(mapped, "canRetry", false));
  assert.deepEqual(unstableIn(mapped), [{ topic: "orders", partition: 1 }]);
  const other = new ResponseError(9, 9, { "/groups/0": [16, null] }, {}); // NOT_COORDINATOR
  assert.equal(unstableNotRetried(other), other);
  assert.equal(unstableIn(other), undefined);
  assert.equal(unstableNotRetried(null), null);
});

Deno.test("the library's retry gives an unstable answer back at once, so it cannot multiply the wait", async () => {
  // A client that never connects: only the library's retry loop runs.
  const consumer = new Consumer({
    clientId: "t",
    bootstrapBrokers: ["127.0.0.1:1"],
    groupId: "g",
    retries: 5,
    retryDelay: 1,
  });
  const attempts = (error: Error) =>
    new Promise<number>((resolve) => {
      let n = 0;
      consumer[kPerformWithRetry]("listCommits", (cb: (e: Error) => void) => {
        n++;
        cb(error);
      }, () => resolve(n));
    });
  try {
    assert.equal(await attempts(unstableAnswer()), 6);
    assert.equal(await attempts(unstableNotRetried(unstableAnswer())!), 1);
  } finally {
    await consumer.close();
  }
});

Deno.test("giving up says the group, the partitions, how long, and what to change", () => {
  const err = new UnstableOffsetsTimeoutError(
    "routers",
    [{ topic: "orders", partition: 1 }],
    20_013,
    unstableAnswer(),
  );
  assert.match(err.message, /group routers's committed offsets on orders\/1 stayed unstable/);
  assert.match(err.message, /for 20013 ms/);
  assert.match(err.message, /stableOffsets\.maxWaitMs/);
  assert.ok(findErrorBy(err, "canRetry", false));
  assert.equal(err.apiId, "UNSTABLE_OFFSET_COMMIT");
});

Deno.test("a stable consumer is built without connecting, with the default wait", async () => {
  const consumer = new StableOffsetsConsumer({
    clientId: "t",
    bootstrapBrokers: ["127.0.0.1:1"],
    groupId: "g",
  });
  assert.ok(consumer instanceof Consumer);
  assert.equal(consumer.stableOffsets.maxWaitMs, 20_000);
  await consumer.close();
});
