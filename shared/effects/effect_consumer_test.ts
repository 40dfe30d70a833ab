/**
 * The data consumers' two commits, the store's and Kafka's, through the
 * exactly-once loop on a fake cluster (../kafka/exactly_once/fake_kafka.ts).
 */
import assert from "node:assert/strict";
import type { KafkaMessage } from "kafkajs";
import { fakeKafka } from "../kafka/exactly_once/fake_kafka.ts";
import { silentLogger } from "../platform/log.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import { DEFAULT_BACKOFF } from "../retry/backoff.ts";
import type { Store } from "../store/store.ts";
import { createEffectConsumer, type EffectSpec } from "./effect_consumer.ts";
import { type OrderStatusEvent, statusEvent } from "../orders/status_event.ts";

interface Order {
  orderId: string;
}

/** A store that keeps one partition's applied offsets and its next offset, as the real ones do. */
function fakeDatabase() {
  const db = { applied: [] as number[], nextOffset: -1 };
  const event = (r: { record: Order }): OrderStatusEvent =>
    statusEvent({
      orderId: r.record.orderId,
      source: "inventory",
      status: "reserved",
      at: 0,
      key: "k",
    });
  const spec: EffectSpec<Order> = {
    script: "test-consumer",
    fromAvro: (value) => ({ orderId: String(value.orderId) }),
    orderIdOf: (r) => r.orderId,
    apply(_store, position, records) {
      // The store refuses a batch that starts behind its stored offset.
      if (db.nextOffset > position.firstOffset) {
        return Promise.resolve({ fenced: true as const, storedOffset: db.nextOffset });
      }
      db.applied.push(...records.map((r) => r.offset));
      db.nextOffset = position.nextOffset;
      return Promise.resolve({ fenced: false as const, events: records.map(event) });
    },
    republish(_store, records) {
      const seen = (r: { offset: number }) => db.applied.includes(r.offset);
      return Promise.resolve({
        events: records.filter(seen).map(event),
        missing: records.filter((r) => !seen(r)),
      });
    },
  };
  return { db, spec };
}

const orders = (offsets: number[]): KafkaMessage[] =>
  offsets.map((o) => ({
    offset: String(o),
    key: Buffer.from(`o${o}`),
    value: Buffer.from(JSON.stringify({ orderId: `o${o}` })),
    headers: {},
    timestamp: "0",
    attributes: 0,
  } as KafkaMessage));

/** One process of the data consumer on the fake cluster. */
async function startConsumer(
  cluster: ReturnType<typeof fakeKafka>,
  spec: EffectSpec<Order>,
) {
  const controller = new AbortController();
  const before = cluster.consumers.length;
  const consumer = createEffectConsumer({
    spec,
    kafka: cluster.kafka as never,
    store: {} as Store,
    codec: { decode: (value: Buffer) => Promise.resolve(JSON.parse(value.toString())) },
    log: silentLogger,
    metrics: new MetricsRegistry(),
    sourceTopics: ["orders"],
    statusTopic: "order_status",
    backoff: DEFAULT_BACKOFF,
    groupId: "g",
    transactionalIdPrefix: "g",
    settings: {
      transactionSize: 100,
      lingerMs: 100,
      concurrency: 1,
      sessionTimeoutMs: 10_000,
      progressIntervalS: 0,
    },
    guardSettleMs: 0,
  });
  const done = consumer.run(controller.signal);
  while (!cluster.consumers[before]?.running) await new Promise((r) => setTimeout(r, 1));
  const member = cluster.consumers[before];
  member.join({ orders: [0] });
  return { member, totals: consumer.totals, stop: () => (controller.abort(), done) };
}

const orderIds = (records: { value: string }[]) =>
  records.map((r) => (JSON.parse(r.value) as OrderStatusEvent).orderId).sort();

Deno.test("a crash between the store's commit and Kafka's: the restart finds the batch applied and republishes its events, once", async () => {
  const cluster = fakeKafka();
  const { db, spec } = fakeDatabase();
  const first = await startConsumer(cluster, spec);
  // The process dies inside Kafka's commit: the store has committed the batch, Kafka not.
  cluster.faults.commit.push("hang");
  void first.member.deliver("orders", 0, orders([0, 1, 2]));
  while (db.applied.length < 3) await new Promise((r) => setTimeout(r, 1));
  assert.deepEqual(cluster.records("order_status"), [], "no event visible yet");
  assert.equal(cluster.groupOffset("g", "orders", 0), undefined);

  // The restart: the group hands out the same records; the new producer ends
  // the dead one's transaction, the store refuses the batch as already
  // applied, and its events are rebuilt from the store and published.
  const restarted = await startConsumer(cluster, spec);
  const d = await restarted.member.deliver("orders", 0, orders([0, 1, 2]));
  assert.equal(d.error, undefined);
  assert.deepEqual(db.applied, [0, 1, 2], "each record applied once");
  assert.deepEqual(
    orderIds(cluster.records("order_status")),
    ["o0", "o1", "o2"],
    "each event once",
  );
  assert.equal(cluster.groupOffset("g", "orders", 0), 3);
  const order = cluster.events.filter((e) => /g-orders-0/.test(e) && !/disconnect/.test(e));
  assert.deepEqual(order, [
    "producer connect g-orders-0",
    "aborted open transaction of g-orders-0",
    "producer connect g-orders-0",
    "commit g-orders-0",
  ]);
  assert.equal(restarted.totals.fencedBatches, 1);
  assert.equal(restarted.totals.republished, 3);
  assert.equal(restarted.totals.published, 3);
  await first.stop();
  await restarted.stop();
});

Deno.test("a restart after a crash in the middle of the records: what the store has is republished, the rest applied, in one transaction", async () => {
  const cluster = fakeKafka();
  const { db, spec } = fakeDatabase();
  const first = await startConsumer(cluster, spec);
  cluster.faults.commit.push("hang");
  void first.member.deliver("orders", 0, orders([0, 1]));
  while (db.applied.length < 2) await new Promise((r) => setTimeout(r, 1));
  // Meanwhile more records arrived; the restart reads them with the rest.
  const restarted = await startConsumer(cluster, spec);
  await restarted.member.deliver("orders", 0, orders([0, 1, 2, 3]));
  assert.deepEqual(db.applied, [0, 1, 2, 3]);
  assert.deepEqual(orderIds(cluster.records("order_status")), ["o0", "o1", "o2", "o3"]);
  assert.equal(cluster.groupOffset("g", "orders", 0), 4);
  assert.equal(restarted.totals.republished, 2);
  assert.equal(restarted.totals.transactions, 1);
  await first.stop();
  await restarted.stop();
});
