import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { IS_CONTROL, IS_TRANSACTIONAL } from "@platformatic/kafka";
import {
  abortedBatches,
  committedFetchResponse,
  committedPartition,
  type FetchedBatch,
} from "./committed_fetch_filter.ts";

/** A data batch of `count` records from `firstOffset`, transactional unless said. */
function data(producerId: bigint, firstOffset: bigint, count: number, transactional = true) {
  return {
    firstOffset,
    lastOffsetDelta: count - 1,
    producerId,
    attributes: transactional ? IS_TRANSACTIONAL : 0,
    records: Array.from({ length: count }, () => ({ key: Buffer.from("k") })),
  };
}

/** A control batch: one marker record, key int16 version 0, int16 type (0 ABORT, 1 COMMIT). */
function marker(producerId: bigint, offset: bigint, type: "abort" | "commit") {
  return {
    firstOffset: offset,
    lastOffsetDelta: 0,
    producerId,
    attributes: IS_TRANSACTIONAL | IS_CONTROL,
    records: [{ key: Buffer.from([0, 0, 0, type === "abort" ? 0 : 1]) }],
  };
}

const skippedOffsets = (
  batches: FetchedBatch[],
  aborted: { producerId: bigint; firstOffset: bigint }[],
) => [...abortedBatches(batches, aborted)].map((b) => b.firstOffset);

const P = 7n, Q = 8n;

Deno.test("no aborted transactions listed: nothing is skipped, the partition is as it was", () => {
  const partition = {
    abortedTransactions: null,
    records: [data(P, 0n, 3), marker(P, 3n, "commit"), data(Q, 4n, 2, false)],
  };
  assert.deepEqual(skippedOffsets(partition.records, []), []);
  assert.equal(committedPartition(partition), partition);
});

Deno.test("an aborted transaction with its marker: skipped; another producer's commit kept", () => {
  const batches = [
    data(P, 0n, 3),
    data(Q, 3n, 2),
    marker(P, 5n, "abort"),
    marker(Q, 6n, "commit"),
    data(P, 7n, 1, false), // P's idempotent, non-transactional send: never skipped
  ];
  assert.deepEqual(skippedOffsets(batches, [{ producerId: P, firstOffset: 0n }]), [0n]);
});

Deno.test("1. an aborted transaction whose ABORT marker is beyond this fetch is skipped", () => {
  const batches = [data(P, 0n, 100), data(P, 100n, 100)];
  assert.deepEqual(skippedOffsets(batches, [{ producerId: P, firstOffset: 0n }]), [0n, 100n]);
});

Deno.test("1. a fetch that starts inside a listed aborted transaction skips the rest of it", () => {
  const batches = [data(P, 50n, 50), marker(P, 100n, "abort"), data(P, 101n, 2)];
  assert.deepEqual(skippedOffsets(batches, [{ producerId: P, firstOffset: 0n }]), [50n]);
});

Deno.test("2. a producer that aborted several times in one fetch: every abort is skipped", () => {
  const batches = [
    data(P, 0n, 2),
    marker(P, 2n, "abort"),
    data(P, 3n, 2),
    marker(P, 5n, "abort"),
    data(P, 6n, 2),
    marker(P, 8n, "abort"),
  ];
  const aborted = [0n, 3n, 6n].map((firstOffset) => ({ producerId: P, firstOffset }));
  assert.deepEqual(skippedOffsets(batches, aborted), [0n, 3n, 6n]);
});

Deno.test("3. a commit surrounded by the same producer's aborts is kept, in any listed order", () => {
  const batches = [
    data(P, 0n, 2),
    marker(P, 2n, "abort"),
    data(P, 3n, 2),
    marker(P, 5n, "commit"),
    data(P, 6n, 2),
    marker(P, 8n, "abort"),
  ];
  const inOrder = [{ producerId: P, firstOffset: 0n }, { producerId: P, firstOffset: 6n }];
  assert.deepEqual(skippedOffsets(batches, inOrder), [0n, 6n]);
  assert.deepEqual(skippedOffsets(batches, [...inOrder].reverse()), [0n, 6n]);
});

Deno.test("two producers' interleaved transactions: each by its own marker", () => {
  const batches = [
    data(P, 0n, 1),
    data(Q, 1n, 1),
    data(P, 2n, 1),
    marker(Q, 3n, "commit"),
    data(Q, 4n, 1), // Q's next transaction: committed later, not listed
    marker(P, 5n, "abort"),
    marker(Q, 6n, "commit"),
  ];
  assert.deepEqual(skippedOffsets(batches, [{ producerId: P, firstOffset: 0n }]), [0n, 2n]);
});

Deno.test("skipped batches keep their offsets with no records; markers stay; input unchanged", () => {
  const partition = {
    partitionIndex: 0,
    abortedTransactions: [{ producerId: P, firstOffset: 0n }],
    records: [data(P, 0n, 3), marker(P, 3n, "abort"), data(Q, 4n, 2)],
  };
  const read = committedPartition(partition);
  assert.deepEqual(
    read.records.map((b) => [b.firstOffset, b.lastOffsetDelta, b.records.length]),
    [[0n, 2, 0], [3n, 0, 1], [4n, 1, 2]],
  );
  assert.deepEqual(read.abortedTransactions, [], "applied: the library's own filter finds none");
  assert.equal(read.partitionIndex, 0);
  assert.equal(partition.records[0].records.length, 3, "the input is not changed");
  assert.equal(partition.abortedTransactions.length, 1);
});

Deno.test("a whole response: every topic's partitions filtered, the rest copied", () => {
  const response = {
    sessionId: 5,
    responses: [{
      topicId: "t",
      partitions: [
        { abortedTransactions: [{ producerId: P, firstOffset: 0n }], records: [data(P, 0n, 2)] },
        { abortedTransactions: [], records: [data(P, 0n, 2)] },
      ],
    }],
  };
  const read = committedFetchResponse(response);
  assert.equal(read.sessionId, 5);
  assert.equal(read.responses[0].topicId, "t");
  assert.deepEqual(read.responses[0].partitions.map((p) => p.records[0].records.length), [0, 2]);
  assert.equal(response.responses[0].partitions[0].records[0].records.length, 2);
});
