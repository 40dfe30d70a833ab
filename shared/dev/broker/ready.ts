/**
 * Waits until a broker really serves clients, not merely accepts TCP: the
 * cluster answers metadata, and the group and transaction coordinators are
 * loaded (their internal topics exist). Without this the first consumer
 * group or transaction of a fresh broker meets "coordinator loading" errors.
 * @module
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "../../platform/log.ts";

const WARM_UP_TOPIC = "_pipeline_warm_up";

/** Resolves when `kafka` answers and both coordinators work; throws at the deadline. */
export async function waitUntilReady(
  kafka: Kafka,
  log: Logger,
  { timeoutMs = 60_000 } = {},
): Promise<void> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const topics = await admin.listTopics();
      if (!topics.includes(WARM_UP_TOPIC)) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic: WARM_UP_TOPIC, numPartitions: 1, replicationFactor: -1 }],
        }).catch(() => {/* a concurrent caller made it */});
      }
      // An offset commit loads the group coordinator (__consumer_offsets)…
      await admin.setOffsets({
        groupId: "_pipeline_warm_up",
        topic: WARM_UP_TOPIC,
        partitions: [{ partition: 0, offset: "0" }],
      });
      // …and a committed transaction the transaction coordinator.
      const producer = kafka.producer({
        transactionalId: `_pipeline_warm_up-${crypto.randomUUID()}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      try {
        const tx = await producer.transaction();
        await tx.send({ topic: WARM_UP_TOPIC, messages: [{ value: "ready" }] });
        await tx.commit();
      } finally {
        await producer.disconnect();
      }
      log.info("broker ready", {
        brokers: cluster.brokers.length,
        controller: cluster.controller,
        readyMs: Math.round(performance.now() - started),
      });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  throw new Error(`Kafka did not become ready in ${timeoutMs} ms: ${lastError}`);
}
