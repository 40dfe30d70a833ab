/**
 * The broker the suite runs on, proven for what the pipeline needs: topic
 * creation from the declared table, produce and consume in a consumer
 * group, and transactions (committed visible to read_committed, aborted not).
 */
import assert from "node:assert/strict";
import { ensureTopics, renamed, TOPICS } from "../shared/kafka/topics.ts";
import { partitionCount } from "../shared/kafka/admin.ts";
import { createConsumer } from "../shared/kafka/client.ts";
import { ConfigResourceTypes, FetchIsolationLevels } from "@platformatic/kafka";
import { integration, testAdmin, testKafka, testLogger, uniqueName, waitFor } from "./harness.ts";
import { createTopics, transactionalProducer } from "./pipeline.ts";
import { produceMessages, readAllCommitted, type TestKafka, toProduce } from "./test_kafka.ts";

/** A record's value (or key) as text. */
const text = (b: Uint8Array | null | undefined) => b ? new TextDecoder().decode(b) : "";

/**
 * What a consumer in a fresh group reads of `topic` (partition 0 from
 * `seekTo`, else from the beginning) until `until` says it has all: the
 * consumer every script gets (shared/kafka/client.ts).
 */
async function collect(
  kafka: TestKafka,
  topic: string,
  options: {
    readUncommitted?: boolean;
    until: (got: { key: string; value: string }[]) => boolean;
    /** Start here (partition 0) instead of the beginning. */
    seekTo?: number;
    /** Small fetches put fetch boundaries inside transactions. */
    maxBytes?: number;
  },
): Promise<{ key: string; value: string }[]> {
  const consumer = createConsumer(kafka.connection, { groupId: uniqueName("g") });
  const got: { key: string; value: string }[] = [];
  try {
    const stream = await consumer.consume({
      topics: [topic],
      autocommit: false,
      maxWaitTime: 500,
      isolationLevel: options.readUncommitted
        ? FetchIsolationLevels.READ_UNCOMMITTED
        : FetchIsolationLevels.READ_COMMITTED,
      ...(options.seekTo === undefined ? { mode: "earliest" as const } : {
        mode: "manual" as const,
        offsets: [{ topic, partition: 0, offset: BigInt(options.seekTo) }],
      }),
      ...(options.maxBytes
        ? { maxBytes: options.maxBytes, maxBytesPerPartition: options.maxBytes }
        : {}),
    });
    const reading = (async () => {
      for await (const m of stream) got.push({ key: text(m.key), value: text(m.value) });
    })();
    try {
      await waitFor(`messages on ${topic}`, () => options.until(got));
    } finally {
      await stream.close();
      await reading;
    }
  } finally {
    await consumer.close(true);
  }
  return got;
}

Deno.test("ensureTopics creates declared topics once and is idempotent", integration, async () => {
  const admin = testAdmin();
  try {
    const spec = renamed(TOPICS.orders, uniqueName("orders"));
    assert.deepEqual(await ensureTopics(admin, [spec], testLogger("topics")), [spec.name]);
    assert.deepEqual(await ensureTopics(admin, [spec], testLogger("topics")), []);
    assert.equal(await partitionCount(admin, spec.name), spec.partitions);
    const [described] = await admin.describeConfigs({
      resources: [{
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: spec.name,
        configurationKeys: ["cleanup.policy", "retention.ms"],
      }],
    });
    const entries = Object.fromEntries(described.configs.map((e) => [e.name, e.value]));
    assert.equal(entries["cleanup.policy"], "delete");
    assert.equal(entries["retention.ms"], String(spec.retentionMs));
  } finally {
    await admin.close();
  }
});

Deno.test("produce and consume through a consumer group", integration, async () => {
  const kafka = testKafka();
  const topic = uniqueName("plain");
  await createTopics([renamed(TOPICS.orders, topic)]);
  const sent = Array.from({ length: 50 }, (_, i) => ({ key: `order-${i}`, value: `{"i":${i}}` }));
  await produceMessages(kafka, topic, sent);
  const got = await collect(kafka, topic, { until: (g) => g.length >= sent.length });
  assert.deepEqual(got.map((m) => m.key).sort(), sent.map((m) => m.key).sort());
});

Deno.test(
  "a committed transaction is visible to read_committed, an aborted one is not",
  integration,
  async () => {
    const kafka = testKafka();
    const topic = uniqueName("tx");
    await createTopics([renamed(TOPICS.orders, topic)]);
    const producer = await transactionalProducer(kafka, "tx-id");
    try {
      const aborted = await producer.beginTransaction();
      await aborted.send({ messages: toProduce(topic, [{ key: "a", value: "aborted" }]) });
      await aborted.abort();
      const committed = await producer.beginTransaction();
      await committed.send({ messages: toProduce(topic, [{ key: "c", value: "committed" }]) });
      await committed.commit();
    } finally {
      await producer.close();
    }
    // A marker after both, so a reader knows it has seen everything before it.
    await produceMessages(kafka, topic, [{ key: "end", value: "end" }]);

    // The consumer every script gets, then Kafka's own Java consumer (last:
    // its read appends end markers).
    const isEnd = (g: { key: string }[]) => g.some((m) => m.key === "end");
    const committedView = await collect(kafka, topic, { until: isEnd });
    assert.deepEqual(committedView.map((m) => m.value).sort(), ["committed", "end"]);
    const uncommittedView = await collect(kafka, topic, { readUncommitted: true, until: isEnd });
    assert.deepEqual(uncommittedView.map((m) => m.value).sort(), ["aborted", "committed", "end"]);
    const javaView = (await readAllCommitted(kafka, topic)).map((m) => text(m.value));
    assert.deepEqual(javaView.sort(), ["committed", "end"]);
  },
);

Deno.test(
  "records of overlapping aborted transactions stay hidden when a fetch starts inside them",
  integration,
  async () => {
    // What a SIGKILLed transactional writer leaves behind: several producers'
    // open transactions, interleaved in one partition, all aborted. Read by
    // Kafka's own Java consumer and by the consumer every script gets (its
    // read_committed repair: shared/kafka/patches/committed_fetch.ts).
    const kafka = testKafka();
    const topic = uniqueName("tx-overlap");
    await createTopics([{ ...renamed(TOPICS.orders, topic), partitions: 1 }]);
    const producers = await Promise.all(
      [0, 1, 2].map((i) => transactionalProducer(kafka, `tx-overlap-${i}`)),
    );
    try {
      const first = await producers[0].beginTransaction();
      await first.send({ messages: toProduce(topic, [{ value: "committed-0" }]) });
      await first.commit();
      const open = await Promise.all(producers.map((p) => p.beginTransaction()));
      for (let round = 0; round < 4; round++) {
        for (const [i, t] of open.entries()) {
          await t.send({ messages: toProduce(topic, [{ value: `aborted-${i}-${round}` }]) });
        }
      }
      for (const t of open) await t.abort();
      const last = await producers[1].beginTransaction();
      await last.send({ messages: toProduce(topic, [{ value: "committed-1" }]) });
      await last.commit();
    } finally {
      await Promise.all(producers.map((p) => p.close()));
    }

    const isEnd = (g: { value: string }[]) => g.some((m) => m.value === "committed-1");
    const values = (g: { value: string }[]) => g.map((m) => m.value);
    // Offset 0 is committed-0, offsets 1..12 the aborted records: start at 4.
    const fromMiddle = values(await collect(kafka, topic, { until: isEnd, seekTo: 4 }));
    assert.deepEqual(fromMiddle.filter((v) => v.startsWith("aborted")), []);
    assert.deepEqual(
      values(await collect(kafka, topic, { until: isEnd, maxBytes: 200 })),
      ["committed-0", "committed-1"],
    );
    // Last: its read appends end markers.
    assert.deepEqual(
      (await readAllCommitted(kafka, topic)).map((m) => text(m.value)),
      ["committed-0", "committed-1"],
      "Kafka's Java consumer",
    );
  },
);
