import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { byPartition, LeaderFollowingProducer, saysStaleMetadata } from "./produce_leader.ts";
import { javaCompatiblePartitioner } from "../client.ts";
import { ProtocolError } from "@platformatic/kafka";

const record = (topic: string, key: string | undefined, partition?: number) => ({
  topic,
  ...(key === undefined ? {} : { key: Buffer.from(key) }),
  value: Buffer.from("v"),
  ...(partition === undefined ? {} : { partition }),
});

Deno.test("a send splits by partition, in order, each record given the partition it would get", () => {
  const partitioner = javaCompatiblePartitioner();
  const count = (topic: string) => (topic === "a" ? 6 : 2);
  const messages = [record("a", "k1"), record("a", "k2"), record("a", "k1"), record("b", "x", 7)];
  const groups = byPartition(messages, count, partitioner);
  // Keys go where the partitioner puts them, modulo the topic's partitions.
  const where = (key: string) =>
    javaCompatiblePartitioner()(record("a", key), Buffer.from(key), {
      metadata: undefined,
    }) % 6;
  const flat = groups.flat();
  assert.equal(flat.length, 4);
  for (const g of groups) {
    assert.equal(new Set(g.map((m) => `${m.topic}/${m.partition}`)).size, 1, "one partition each");
  }
  assert.deepEqual(
    flat.filter((m) => m.topic === "a").map((m) => m.partition),
    where("k1") === where("k2")
      ? [where("k1"), where("k2"), where("k1")]
      : [where("k1"), where("k1"), where("k2")],
  );
  // An explicit partition is kept (modulo the count, as the library does).
  assert.deepEqual(flat.filter((m) => m.topic === "b").map((m) => m.partition), [1]);
});

Deno.test("NOT_LEADER_OR_FOLLOWER says the metadata is stale; other errors do not", () => {
  assert.equal(saysStaleMetadata(new ProtocolError("NOT_LEADER_OR_FOLLOWER")), true);
  assert.equal(saysStaleMetadata(new ProtocolError("INVALID_RECORD")), false);
  assert.equal(saysStaleMetadata(new Error("plain")), false);
});

Deno.test("the repaired producer is built without connecting", async () => {
  const producer = new LeaderFollowingProducer({
    clientId: "t",
    bootstrapBrokers: ["127.0.0.1:1"],
  });
  await producer.close();
});
