/**
 * The data consumers' two commits, the store's and Kafka's: what a chunk's
 * transaction carries after a crash between them. The transaction itself
 * runs on a real broker in tests/inventory_consumer_test.ts.
 */
import assert from "node:assert/strict";
import type { ConsumedMessage } from "../kafka/records.ts";
import type { Chunk } from "../kafka/exactly_once/chunk.ts";
import { silentLogger } from "../platform/log.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import { DEFAULT_BACKOFF } from "../retry/backoff.ts";
import type { Store } from "../store/store.ts";
import type { ChangeLog, ChangeRecord, EffectSpec, EffectTotals } from "./effect_consumer.ts";
import { effectChunkWork, effectMetrics } from "./effect_chunk_work.ts";
import { createRetryStage } from "../retry/retry_stage.ts";
import { type OrderStatusEvent, statusEvent } from "../orders/status_event.ts";

interface Order {
  orderId: string;
}

/** A store that keeps one partition's applied offsets and its next offset, as the real ones do. */
function fakeDatabase() {
  const change = (r: { record: Order }): ChangeRecord => ({
    key: r.record.orderId,
    value: { orderId: r.record.orderId },
  });
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
      return Promise.resolve({
        fenced: false as const,
        events: records.map(event),
        changes: records.map(change),
      });
    },
    republish(_store, records) {
      const seen = (r: { offset: number }) => db.applied.includes(r.offset);
      return Promise.resolve({
        events: records.filter(seen).map(event),
        changes: records.filter(seen).map(change),
        missing: records.filter((r) => !seen(r)),
      });
    },
  };
  return { db, spec };
}

const chunkOf = (offsets: number[]): Chunk => ({
  topic: "orders",
  partition: 0,
  messages: offsets.map((o): ConsumedMessage => ({
    offset: String(o),
    key: Buffer.from(`o${o}`),
    value: Buffer.from(JSON.stringify({ orderId: `o${o}` })),
    headers: {},
    timestamp: "0",
  })),
  firstOffset: offsets[0],
  lastOffset: String(offsets[offsets.length - 1]),
  nextOffset: offsets[offsets.length - 1] + 1,
  startedAt: 0,
});

/** One process of a data consumer: its chunk work over the shared database. */
/** A change log on topic `changes` whose values are JSON; `encoder` may be replaced. */
const jsonChangeLog = (): ChangeLog => ({
  topic: "changes",
  encoder: () => Promise.resolve((value) => Buffer.from(JSON.stringify(value))),
});

function process(spec: EffectSpec<Order>, changeLog: ChangeLog = jsonChangeLog()) {
  const metrics = new MetricsRegistry();
  const retry = createRetryStage({
    sources: [{ topic: "orders" }],
    policy: DEFAULT_BACKOFF,
    stage: spec.script,
    log: silentLogger,
    metrics,
  });
  const totals: EffectTotals = {
    consumed: 0,
    transactions: 0,
    aborts: 0,
    published: 0,
    republished: 0,
    fencedBatches: 0,
    deadLettered: 0,
    retried: 0,
  };
  const work = effectChunkWork({
    spec,
    store: {} as Store,
    codec: { decode: (value: Buffer) => Promise.resolve(JSON.parse(value.toString())) },
    log: silentLogger,
    retry,
    groupId: "g",
    statusTopic: "order_status",
    changeLog,
    totals,
    counters: effectMetrics(metrics),
  });
  return { work, totals };
}

type Published = { topic: string; messages: { value: unknown }[] }[];

const statusOrderIds = (topicMessages: Published) =>
  topicMessages.filter((t) => t.topic === "order_status")
    .flatMap((t) =>
      t.messages.map((m) => (JSON.parse(String(m.value)) as OrderStatusEvent).orderId)
    )
    .sort();

const changeOrderIds = (topicMessages: Published) =>
  topicMessages.filter((t) => t.topic === "changes")
    .flatMap((t) => t.messages.map((m) => JSON.parse(String(m.value)).orderId as string))
    .sort();

Deno.test("a crash between the store's commit and Kafka's: the restart finds the batch applied and republishes its events, once", async () => {
  const { db, spec } = fakeDatabase();
  // The first process applies the chunk, then dies before its transaction commits.
  await process(spec).work.prepare(chunkOf([0, 1, 2]));
  assert.deepEqual(db.applied, [0, 1, 2]);
  // The restart consumes the same records: the store refuses the batch as
  // already applied, and its events are rebuilt from the store.
  const restarted = process(spec);
  const { topicMessages, result } = await restarted.work.prepare(chunkOf([0, 1, 2]));
  restarted.work.committed(chunkOf([0, 1, 2]), result);
  assert.deepEqual(db.applied, [0, 1, 2], "each record applied once");
  assert.deepEqual(statusOrderIds(topicMessages), ["o0", "o1", "o2"], "each event once");
  assert.deepEqual(changeOrderIds(topicMessages), ["o0", "o1", "o2"], "each change once");
  assert.equal(restarted.totals.fencedBatches, 1);
  assert.equal(restarted.totals.republished, 3);
});

Deno.test("a restart after a crash in the middle of the records: what the store has is republished, the rest applied, in one transaction", async () => {
  const { db, spec } = fakeDatabase();
  await process(spec).work.prepare(chunkOf([0, 1]));
  // Meanwhile more records arrived; the restart reads them with the rest.
  const restarted = process(spec);
  const { topicMessages, result } = await restarted.work.prepare(chunkOf([0, 1, 2, 3]));
  restarted.work.committed(chunkOf([0, 1, 2, 3]), result);
  assert.deepEqual(db.applied, [0, 1, 2, 3]);
  assert.deepEqual(statusOrderIds(topicMessages), ["o0", "o1", "o2", "o3"]);
  assert.deepEqual(changeOrderIds(topicMessages), ["o0", "o1", "o2", "o3"]);
  assert.equal(restarted.totals.republished, 2);
});

Deno.test("while the change log's schema cannot be registered, nothing is applied: the records go to retry", async () => {
  const { db, spec } = fakeDatabase();
  const down: ChangeLog = {
    topic: "changes",
    encoder: () => Promise.reject(new Error("schema registry http://r cannot be reached")),
  };
  const { topicMessages, result } = await process(spec, down).work.prepare(chunkOf([0, 1]));
  assert.deepEqual(db.applied, [], "no effect without its change");
  assert.deepEqual(changeOrderIds(topicMessages), []);
  assert.deepEqual(result.failed.map((f) => f.outcome), ["retry", "retry"]);
});
