/**
 * The verify audit's reader (Apache Kafka's Java consumer, read_committed)
 * on the real broker: committed records once, aborted ones never, and each
 * further read only what was committed since.
 */
import assert from "node:assert/strict";
import { createCommittedReader } from "../shared/verify/committed_reader.ts";
import { integration, testAdmin, testBrokers, testKafka, uniqueName } from "./harness.ts";
import { kafkaToolsClasspath, toProduce, transactionalProducer } from "./test_kafka.ts";

Deno.test(
  "the Java reader: committed once, aborted never, then only what is new",
  integration,
  async () => {
    const classpath = await kafkaToolsClasspath();
    const kafka = testKafka();
    const topic = uniqueName("verify-reader");
    const admin = testAdmin("verify-reader");
    try {
      await admin.createTopics({ topics: [topic], partitions: 3 });
    } finally {
      await admin.close();
    }
    const producer = await transactionalProducer(kafka, "verify-reader-tx");
    const inTransaction = async (keys: string[], commit: boolean) => {
      const tx = await producer.beginTransaction();
      await tx.send({
        messages: toProduce(
          topic,
          keys.map((key) => ({ key, value: `v-${key}`, headers: { h: `h-${key}` } })),
        ),
      });
      await (commit ? tx.commit() : tx.abort());
    };
    const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
    try {
      await inTransaction(["a", "b", "c"], true);
      await inTransaction(["x", "y"], false);
      await inTransaction(["d"], true);
      const reader = createCommittedReader({ classpath, brokers: testBrokers(), topics: [topic] });
      const first = await reader.readMore();
      assert.deepEqual(first.map((r) => text(r.key)).sort(), ["a", "b", "c", "d"]);
      const a = first.find((r) => text(r.key) === "a")!;
      assert.equal(text(a.value), "v-a");
      assert.deepEqual(a.headers.map((h) => [h.key, text(h.value)]), [["h", "h-a"]]);

      assert.deepEqual(await reader.readMore(), [], "nothing new: nothing read again");
      await inTransaction(["z"], false);
      await inTransaction(["e", "f"], true);
      const next = await reader.readMore();
      assert.deepEqual(next.map((r) => text(r.key)).sort(), ["e", "f"]);
    } finally {
      await producer.close();
    }
  },
);
