/**
 * A plain idempotent send rides out the death of a partition's leader: batches
 * keep going to a topic while the node leading most of its partitions is
 * SIGKILLed and comes back; every send resolves, and Kafka's own Java
 * consumer (read_committed) reads every record exactly once. This covers the
 * client's retries (about 20 s) and the per-partition sends of
 * shared/kafka/patches/produce_leader.ts against loss and duplicates. It does
 * not tell the repair from the plain library: here the plain library gets
 * there too, through its last retry with fresh metadata; the case only the
 * repair passes (a restarted node refusing as "not the leader" on every
 * retry) was met by `deno task verify --chaos` and is not reproduced here.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createProducer } from "../../shared/kafka/client.ts";
import { integration, uniqueName, waitFor } from "../harness.ts";
import { committedRecords } from "../test_kafka.ts";
import { adminKafka, clusterAdmin, connectionAs, killNode, nodeBack } from "./cluster_harness.ts";

const BATCHES = 40;
const PER_BATCH = 30;

Deno.test(
  "a plain idempotent send follows its partitions' new leader when a node dies, nothing twice",
  integration,
  async () => {
    const topic = uniqueName("leader-moves");
    const admin = clusterAdmin();
    const producer = createProducer(connectionAs("admin"), { idempotent: true, acks: -1 });
    try {
      await admin.createTopics({ topics: [topic], partitions: 6, replicas: 3 });
      const leaders = await waitFor("every partition led", async () => {
        const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
        const ps = meta.topics.get(topic)?.partitions ?? [];
        return ps.length === 6 && ps.every((p) => p.leader >= 0)
          ? ps.map((p) => p.leader)
          : undefined;
      });
      // The node leading the most of the topic's partitions.
      const counts = new Map<number, number>();
      for (const l of leaders) counts.set(l, (counts.get(l) ?? 0) + 1);
      const victim = [...counts].sort((a, b) => b[1] - a[1])[0][0];

      const keys: string[] = [];
      const sendBatch = async (b: number) => {
        const batch = Array.from({ length: PER_BATCH }, (_, i) => `k-${b}-${i}`);
        await producer.send({
          messages: batch.map((key) => ({ topic, key: Buffer.from(key), value: Buffer.from(key) })),
        });
        keys.push(...batch);
      };
      for (let b = 0; b < BATCHES / 4; b++) await sendBatch(b);
      const killed = await killNode(victim);
      // Sent while the leader is dead, then while its partitions move and it returns.
      for (let b = BATCHES / 4; b < BATCHES; b++) {
        await sendBatch(b);
        await new Promise((r) => setTimeout(r, 100));
      }
      await nodeBack(killed);

      const readMore = await committedRecords(adminKafka(), topic);
      const seen = new Map<string, number>();
      await waitFor("every record read", async () => {
        for (const r of await readMore()) {
          const key = r.key!.toString();
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        return seen.size >= keys.length;
      }, { timeoutMs: 120_000, intervalMs: 500 });
      assert.equal(keys.length, BATCHES * PER_BATCH, "every send resolved");
      assert.deepEqual([...seen.keys()].sort(), [...keys].sort(), "every record, none else");
      assert.deepEqual([...seen].filter(([, n]) => n > 1), [], "none twice");
    } finally {
      await producer.close().catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.close();
    }
  },
);
