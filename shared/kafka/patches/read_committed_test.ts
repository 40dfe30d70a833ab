import assert from "node:assert/strict";
import { abortedRecordOffsets, type FetchedRecord, hideAbortedRecords } from "./read_committed.ts";

/** One record batch of `count` transactional records from `producerId` at `first`. */
function batch(producerId: string, first: number, count: number): FetchedRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    offset: String(first + i),
    batchContext: {
      firstOffset: String(first),
      lastOffsetDelta: count - 1,
      producerId,
      inTransaction: true,
    },
  }));
}

/** A control batch holding one marker: ABORT (type 0) or COMMIT (type 1). */
function marker(producerId: string, offset: number, type: "abort" | "commit"): FetchedRecord {
  return {
    offset: String(offset),
    key: new Uint8Array([0, 0, 0, type === "abort" ? 0 : 1]),
    isControlRecord: true,
    batchContext: {
      firstOffset: String(offset),
      lastOffsetDelta: 0,
      producerId,
      inTransaction: true,
      isControlBatch: true,
    },
  };
}

const offsets = (s: Set<string>) => [...s].map(Number).sort((a, b) => a - b);

Deno.test("one aborted transaction: its records are skipped, up to its marker", () => {
  const records = [...batch("1", 0, 3), marker("1", 3, "abort"), ...batch("1", 4, 2)];
  assert.deepEqual(
    offsets(abortedRecordOffsets(records, [{ producerId: "1", firstOffset: "0" }])),
    [
      0,
      1,
      2,
    ],
  );
});

Deno.test("a fetch starting inside three overlapping aborted transactions skips all three", () => {
  // Offsets 0..5: producers 1, 2, 3 interleaved, all aborted; the fetch
  // starts at 3, so every aborted transaction began before the first record
  // this response holds (kafkajs 2.2.4 skipped only producer 1's records).
  const records = [
    ...batch("1", 3, 1),
    ...batch("2", 4, 1),
    ...batch("3", 5, 1),
    marker("1", 6, "abort"),
    marker("2", 7, "abort"),
    marker("3", 8, "abort"),
    ...batch("2", 9, 1),
  ];
  const aborted = [
    { producerId: "1", firstOffset: "0" },
    { producerId: "2", firstOffset: "1" },
    { producerId: "3", firstOffset: "2" },
  ];
  assert.deepEqual(offsets(abortedRecordOffsets(records, aborted)), [3, 4, 5]);
});

Deno.test("the aborted list is honoured in any order", () => {
  const records = [...batch("1", 0, 1), ...batch("2", 1, 1), marker("1", 2, "abort")];
  const aborted = [{ producerId: "2", firstOffset: "1" }, { producerId: "1", firstOffset: "0" }];
  assert.deepEqual(offsets(abortedRecordOffsets(records, aborted)), [0, 1]);
});

Deno.test("committed transactions of the same producer around an aborted one are kept", () => {
  const records = [
    ...batch("1", 0, 2),
    marker("1", 2, "commit"),
    ...batch("1", 3, 2),
    marker("1", 5, "abort"),
    ...batch("1", 6, 2),
    marker("1", 8, "commit"),
  ];
  assert.deepEqual(
    offsets(abortedRecordOffsets(records, [{ producerId: "1", firstOffset: "3" }])),
    [
      3,
      4,
    ],
  );
});

Deno.test("an ABORT marker with no listed transaction is ignored", () => {
  // The fetch starts at a marker whose transaction began before it.
  const records = [marker("1", 10, "abort"), ...batch("1", 11, 1), ...batch("2", 12, 1)];
  assert.deepEqual(abortedRecordOffsets(records, [{ producerId: "2", firstOffset: "12" }]).size, 1);
});

Deno.test("non-transactional records are never skipped", () => {
  const plain = batch("-1", 0, 2).map((r) => ({
    ...r,
    batchContext: { ...r.batchContext, inTransaction: false },
  }));
  assert.deepEqual(abortedRecordOffsets(plain, [{ producerId: "-1", firstOffset: "0" }]).size, 0);
});

Deno.test("hideAbortedRecords flags aborted records as control records and empties the list", () => {
  const messages = [...batch("1", 0, 2), marker("1", 2, "abort"), ...batch("2", 3, 1)];
  const partition = { abortedTransactions: [{ producerId: "1", firstOffset: "0" }], messages };
  hideAbortedRecords({ responses: [{ partitions: [partition] }] });
  assert.deepEqual(partition.abortedTransactions, []);
  assert.deepEqual(messages.map((m) => Boolean(m.isControlRecord)), [true, true, true, false]);
});
