import assert from "node:assert/strict";
import { Partitioners } from "kafkajs";
import { sendByPartition, whileConcurrent } from "./transactional_batches.ts";

const refusal = () => Object.assign(new Error("concurrent"), { type: "CONCURRENT_TRANSACTIONS" });

Deno.test("whileConcurrent runs the step again while the broker refuses it as concurrent", async () => {
  let calls = 0;
  const got = await whileConcurrent(() => {
    calls++;
    return calls < 3 ? Promise.reject(refusal()) : Promise.resolve("done");
  }, { delayMs: 1 });
  assert.equal(got, "done");
  assert.equal(calls, 3);
});

Deno.test("whileConcurrent throws other errors at once, and refusals past its attempts", async () => {
  let calls = 0;
  await assert.rejects(
    whileConcurrent(() => {
      calls++;
      return Promise.reject(Object.assign(new Error("fenced"), { type: "INVALID_PRODUCER_EPOCH" }));
    }, { delayMs: 1 }),
    /fenced/,
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    whileConcurrent(() => {
      calls++;
      return Promise.reject(refusal());
    }, { attempts: 4, delayMs: 1 }),
    /concurrent/,
  );
  assert.equal(calls, 4);
});

Deno.test("sendByPartition: one send per target partition, placed as kafkajs' default partitioner places keys", async () => {
  const sends: { topic: string; messages: { key?: unknown; partition?: number }[] }[] = [];
  const tx = {
    send: (record: { topic: string; messages: { key?: unknown; partition?: number }[] }) => {
      sends.push(record);
      return Promise.resolve([]);
    },
  };
  const keys = Array.from({ length: 40 }, (_, i) => `SKU-${i}`);
  await sendByPartition(
    tx as unknown as Parameters<typeof sendByPartition>[0],
    [
      { topic: "a", messages: keys.map((key) => ({ key, value: key })) },
      { topic: "b", messages: [{ key: "x", value: "1" }, { key: "x", value: "2" }] },
    ],
    (topic) => Promise.resolve(topic === "a" ? 6 : 3),
  );
  const partitioner = Partitioners.DefaultPartitioner();
  const meta = (n: number) =>
    Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0 })) as never;
  for (const s of sends) {
    const partitions = new Set(s.messages.map((m) => m.partition));
    assert.equal(partitions.size, 1, "one partition per send");
    for (const m of s.messages) {
      assert.equal(
        m.partition,
        partitioner({
          topic: s.topic,
          partitionMetadata: meta(s.topic === "a" ? 6 : 3),
          message: m as never,
        }),
      );
    }
  }
  assert.equal(sends.filter((s) => s.topic === "b").length, 1, "one key, one partition, one send");
  assert.equal(sends.flatMap((s) => s.messages).length, 42, "nothing lost, nothing doubled");
  assert.deepEqual(
    sends.find((s) => s.topic === "b")!.messages.map((m) => (m as { value: string }).value),
    ["1", "2"],
    "order within a partition kept",
  );
});
