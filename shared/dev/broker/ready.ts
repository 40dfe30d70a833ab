/**
 * Waits until a broker really serves clients, not merely accepts TCP: the
 * cluster answers metadata, and the group and transaction coordinators are
 * loaded (their internal topics exist). Without this the first consumer
 * group or transaction of a fresh broker meets "coordinator loading" errors.
 * @module
 */
import { Buffer } from "node:buffer";
import type { Logger } from "../../platform/log.ts";
import { brokerCount } from "../../kafka/admin.ts";
import { createAdmin } from "../../kafka/client.ts";
import type { KafkaConnection } from "../../kafka/connection.ts";
import { transactionalProducer } from "../../kafka/exactly_once/fetch_transaction.ts";

const WARM_UP_TOPIC = "_pipeline_warm_up";

/** Resolves when the cluster at `connection` answers and both coordinators work; throws at the deadline. */
export async function waitUntilReady(
  connection: KafkaConnection,
  log: Logger,
  { timeoutMs = 60_000 } = {},
): Promise<void> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = createAdmin({ ...connection, retries: 0 });
    const producer = transactionalProducer({ ...connection, retries: 0 }, WARM_UP_TOPIC);
    try {
      const brokers = await brokerCount(admin);
      const topics = await admin.listTopics();
      if (!topics.includes(WARM_UP_TOPIC)) {
        await admin.createTopics({ topics: [WARM_UP_TOPIC], partitions: 1, replicas: -1 })
          .catch(() => {/* a concurrent caller made it */});
      }
      // An offset commit loads the group coordinator (__consumer_offsets)…
      await admin.alterConsumerGroupOffsets({
        groupId: "_pipeline_warm_up",
        topics: [{ name: WARM_UP_TOPIC, partitionOffsets: [{ partition: 0, offset: 0n }] }],
      });
      // …and a committed transaction the transaction coordinator.
      const tx = await producer.beginTransaction();
      await tx.send({ messages: [{ topic: WARM_UP_TOPIC, value: Buffer.from("ready") }] });
      await tx.commit();
      log.info("broker ready", { brokers, readyMs: Math.round(performance.now() - started) });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await Promise.allSettled([producer.close(), admin.close()]);
    }
  }
  throw new Error(`Kafka did not become ready in ${timeoutMs} ms: ${lastError}`);
}
