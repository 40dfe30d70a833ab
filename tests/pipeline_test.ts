/**
 * The pure parts of the frozen-instance helpers in ./pipeline.ts: the
 * consumer groups tool's table, and which log lines say that late work was
 * refused. No broker needed.
 */
import assert from "node:assert/strict";
import {
  holdsEveryPartition,
  LATE_WORK_REFUSED,
  ownErrors,
  parseGroupMembers,
  refusedWork,
} from "./pipeline.ts";

// What Kafka 4.4's `kafka-consumer-groups --describe --members --verbose` prints.
const TABLE = `
GROUP           CONSUMER-ID                               HOST            CLIENT-ID       #PARTITIONS     CURRENT-EPOCH   CURRENT-ASSIGNMENT              TARGET-EPOCH    TARGET-ASSIGNMENT
g               zombie-a-21c8c4f5                         /127.0.0.1      zombie-a        8               -               orders:0,1,2,3,4,5;retry-1:0,1  -               -
g               zombie-b-9f4eae51                         /127.0.0.1      zombie-b        0               -               -                               -               -
`;

Deno.test("parseGroupMembers reads each member and its assignment by topic", () => {
  assert.deepEqual(parseGroupMembers(TABLE), [
    {
      consumerId: "zombie-a-21c8c4f5",
      clientId: "zombie-a",
      assignment: { orders: [0, 1, 2, 3, 4, 5], "retry-1": [0, 1] },
    },
    { consumerId: "zombie-b-9f4eae51", clientId: "zombie-b", assignment: {} },
  ]);
});

Deno.test("parseGroupMembers reads the older ASSIGNMENT column too", () => {
  const old = "GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS ASSIGNMENT\n" +
    "g c-1 /127.0.0.1 c 3 or-ders.x(0,1),u(3)";
  assert.deepEqual(parseGroupMembers(old)[0].assignment, { "or-ders.x": [0, 1], u: [3] });
});

Deno.test("parseGroupMembers: a group without members has none", () => {
  assert.deepEqual(parseGroupMembers("\nConsumer group 'g' has no active members.\n"), []);
});

Deno.test("holdsEveryPartition: one member alone with all of the topic", () => {
  const [a, b] = parseGroupMembers(TABLE);
  assert.equal(holdsEveryPartition([a], "orders", 6), true);
  assert.equal(holdsEveryPartition([a], "orders", 7), false, "a partition unassigned");
  assert.equal(holdsEveryPartition([a, b], "orders", 6), false, "the other is still a member");
});

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ ts: "2026-01-01T00:00:00.000Z", logger: "x", ...fields });

Deno.test("refusedWork: the script's own lines that name a refusal, under either loop", () => {
  const output = [
    line({
      level: "warn",
      msg: "transaction aborted; the chunk will be consumed again",
      error: { message: "Producer attempted an operation with an old epoch." },
    }),
    line({ level: "error", msg: "stopped by an error", error: { message: "ILLEGAL_GENERATION" } }),
    line({ level: "info", msg: "batch already applied up to the stored offset; republishing" }),
    // Not refusals: the client's own heartbeat, totals that count fenced batches, a rebalance.
    line({
      level: "error",
      msg: "The coordinator is not aware of this member, re-joining the group",
      component: "kafkajs",
    }),
    line({ level: "info", msg: "stopped", fencedBatches: 0 }),
    line({ level: "info", msg: "rebalanced: partitions assigned" }),
    "not a log line: fenced",
  ].join("\n");
  assert.deepEqual(refusedWork(output).map((l) => l.msg), [
    "transaction aborted; the chunk will be consumed again",
    "stopped by an error",
    "batch already applied up to the stored offset; republishing",
  ]);
});

Deno.test("LATE_WORK_REFUSED names each design's refusal", () => {
  for (
    const text of [
      "PRODUCER_FENCED",
      "INVALID_PRODUCER_EPOCH",
      "There is a newer producer with the same transactionalId which fences the current one.",
      "Specified group generation id is not valid.",
      "UNKNOWN_MEMBER_ID",
      "REBALANCE_IN_PROGRESS",
    ]
  ) assert.match(text, LATE_WORK_REFUSED);
  assert.doesNotMatch('{"fencedBatches":3}', LATE_WORK_REFUSED);
});

Deno.test("ownErrors leaves the Kafka client's errors out", () => {
  const output = [
    line({ level: "error", msg: "stopped by an error" }),
    line({ level: "error", msg: "Crash: KafkaJSNonRetriableError", component: "kafkajs" }),
    line({ level: "warn", msg: "transaction aborted" }),
  ].join("\n");
  assert.deepEqual(ownErrors(output).map((l) => l.msg), ["stopped by an error"]);
});
