import assert from "node:assert/strict";
import { createLogger, type Logger } from "../../platform/log.ts";
import { MetricsRegistry } from "../../platform/metrics.ts";
import type { RetryStage } from "../../retry/retry_stage.ts";
import type { Chunk, ChunkWork } from "./transactional_batches.ts";
import { fakeKafka, messagesAt } from "./fake_kafka.ts";
import { type LoopTotals, runExactlyOnceLoop } from "./loop.ts";
import { routerLoopMetrics } from "../../router/router.ts";

/** A retry stage with no retry topics: every record is due. */
function noRetries(events: string[]): RetryStage {
  return {
    retryTopics: [],
    dlqTopics: [],
    routeOf: () => ({}) as never,
    due: (messages) => ({ due: [...messages] }),
    hold: () => {},
    fail: () => {
      throw new Error("no record fails here");
    },
    close: () => void events.push("retry close"),
  };
}

function capturedLog() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log = createLogger({
    name: "test",
    level: "debug",
    write: (line) => {
      const { level, msg, logger: _, ts: __, ...fields } = JSON.parse(line);
      lines.push({ level, msg, fields });
    },
  });
  return { log, lines };
}

/** A chunk becomes one `out` record per consumed record; `gate` can hold it in `prepare`. */
function copyWork(gate?: Promise<void>) {
  const committed: number[][] = [];
  const aborted: number[] = [];
  const work: ChunkWork<number> = {
    async prepare(chunk: Chunk) {
      await gate;
      return {
        topicMessages: [{
          topic: "out",
          messages: chunk.messages.map((m) => ({ key: m.key, value: m.value })),
        }],
        result: chunk.messages.length,
      };
    },
    committed: (chunk) => void committed.push(chunk.messages.map((m) => Number(m.offset))),
    aborted: (chunk) => void aborted.push(chunk.firstOffset),
  };
  return { work, committed, aborted };
}

/** Starts one loop instance on the fake cluster; `stop` ends it and says how it ended. */
async function startLoop(
  cluster: ReturnType<typeof fakeKafka>,
  work: ChunkWork<number>,
  options: { transactionSize?: number; log?: Logger; metrics?: MetricsRegistry } = {},
) {
  const controller = new AbortController();
  const totals: LoopTotals = { consumed: 0, transactions: 0, aborts: 0 };
  const before = cluster.consumers.length;
  const done = runExactlyOnceLoop({
    kafka: cluster.kafka,
    log: options.log ?? capturedLog().log,
    metrics: routerLoopMetrics(options.metrics ?? new MetricsRegistry()),
    sourceTopics: ["orders"],
    retry: noRetries(cluster.events),
    groupId: "g",
    transactionalIdPrefix: "g",
    settings: {
      transactionSize: options.transactionSize ?? 1000,
      lingerMs: 100,
      concurrency: 4,
      sessionTimeoutMs: 10_000,
      progressIntervalS: 0,
    },
    totals,
    work,
    guardSettleMs: 0,
  }, controller.signal);
  // The loop is running once kafkajs has its eachBatch.
  while (!cluster.consumers[before]?.running) await new Promise((r) => setTimeout(r, 1));
  const consumer = cluster.consumers[before];
  return {
    consumer,
    totals,
    done,
    stop: () => (controller.abort(), done),
  };
}

/** The values of committed records; sorted, since each target partition is sent on its own. */
const values = (records: { value: string }[]) => records.map((r) => r.value).sort();

Deno.test("a chunk is committed in one transaction with its consumed offset; a batch is cut into chunks of transactionSize", async () => {
  const cluster = fakeKafka();
  const { work, committed } = copyWork();
  const metrics = new MetricsRegistry();
  const loop = await startLoop(cluster, work, { transactionSize: 2, metrics });
  loop.consumer.join({ orders: [0] });
  const d = await loop.consumer.deliver("orders", 0, messagesAt([0, 1, 2]));
  assert.equal(d.error, undefined);
  assert.deepEqual(d.resolved, ["1", "2"], "each chunk resolved after its commit");
  assert.deepEqual(committed, [[0, 1], [2]]);
  assert.deepEqual(values(cluster.records("out")), ["r0", "r1", "r2"]);
  assert.equal(cluster.groupOffset("g", "orders", 0), 3, "the next offset, with the records");
  assert.deepEqual(cluster.events.filter((e) => e.startsWith("commit")), [
    "commit g-orders-0",
    "commit g-orders-0",
  ]);
  assert.deepEqual(loop.totals, { consumed: 3, transactions: 2, aborts: 0 });
  assert.match(metrics.render(), /router_transactions_total\{result="commit"\} 2/);
  await loop.stop();
});

Deno.test("a failed transaction is aborted, its producer replaced, and the chunk, consumed again, committed once", async () => {
  const cluster = fakeKafka();
  const { log, lines } = capturedLog();
  const { work, committed, aborted } = copyWork();
  const loop = await startLoop(cluster, work, { log });
  loop.consumer.join({ orders: [0] });
  cluster.faults.commit.push("fail");
  const first = await loop.consumer.deliver("orders", 0, messagesAt([0, 1]));
  assert.match(String(first.error), /injected commit failure/, "kafkajs sees the error");
  assert.deepEqual(first.resolved, [], "nothing resolved: the chunk will come again");
  assert.deepEqual(cluster.records("out"), [], "an aborted transaction shows nothing");
  assert.equal(cluster.groupOffset("g", "orders", 0), undefined);
  assert.deepEqual(aborted, [0]);
  assert.ok(lines.some((l) => l.level === "warn" && /transaction aborted/.test(l.msg)));
  // kafkajs hands the same records again, from the committed offset.
  const again = await loop.consumer.deliver("orders", 0, messagesAt([0, 1]));
  assert.equal(again.error, undefined);
  assert.deepEqual(values(cluster.records("out")), ["r0", "r1"]);
  assert.deepEqual(committed, [[0, 1]], "committed() only after a commit");
  assert.deepEqual(cluster.events.filter((e) => /producer|commit|abort/.test(e)), [
    "producer connect g-orders-0",
    "abort g-orders-0",
    "producer disconnect g-orders-0",
    "producer connect g-orders-0",
    "commit g-orders-0",
  ]);
  assert.deepEqual(loop.totals, { consumed: 2, transactions: 1, aborts: 1 });
  await loop.stop();
});

Deno.test("fence and republish: a zombie's transaction fails, the new owner republishes the chunk on its own producer, nothing is committed twice", async () => {
  const cluster = fakeKafka();
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const zombie = copyWork(held);
  const owner = copyWork();
  const a = await startLoop(cluster, zombie.work);
  const b = await startLoop(cluster, owner.work);
  a.consumer.join({ orders: [0] });
  // A is stuck in its chunk (a long GC pause, say) while the group moves partition 0 to B.
  const stuck = a.consumer.deliver("orders", 0, messagesAt([0, 1, 2]));
  await new Promise((r) => setTimeout(r, 5));
  b.consumer.join({ orders: [0] });
  const byOwner = await b.consumer.deliver("orders", 0, messagesAt([0, 1, 2]));
  assert.equal(byOwner.error, undefined);
  release();
  const byZombie = await stuck;
  assert.equal((byZombie.error as { type?: string }).type, "INVALID_PRODUCER_EPOCH");
  assert.deepEqual(zombie.committed, [], "the fenced transaction committed nothing");
  assert.deepEqual(zombie.aborted, [0]);
  // A, not yet told of the rebalance, is handed the batch again: its fresh
  // producer fences B in turn, and the guard skips what B committed.
  const retried = await a.consumer.deliver("orders", 0, messagesAt([0, 1, 2]));
  assert.equal(retried.error, undefined);
  assert.deepEqual(retried.resolved, ["2"], "skipped to the end, no transaction");
  assert.deepEqual(values(cluster.records("out")), ["r0", "r1", "r2"], "each record once");
  assert.equal(cluster.groupOffset("g", "orders", 0), 3);
  assert.deepEqual(cluster.events.filter((e) => e.startsWith("commit")), ["commit g-orders-0"]);
  assert.deepEqual(a.totals, { consumed: 0, transactions: 0, aborts: 1 });
  assert.deepEqual(b.totals, { consumed: 3, transactions: 1, aborts: 0 });
  await a.stop();
  await b.stop();
});

Deno.test("a rebalance closes the producers of lost partitions and checks the kept ones again", async () => {
  const cluster = fakeKafka();
  const { work } = copyWork();
  const metrics = new MetricsRegistry();
  const { log, lines } = capturedLog();
  const loop = await startLoop(cluster, work, { metrics, log });
  loop.consumer.join({ orders: [0, 1] });
  assert.match(metrics.render(), /router_assigned_partitions 2/);
  await loop.consumer.deliver("orders", 0, messagesAt([0, 1]));
  await loop.consumer.deliver("orders", 1, messagesAt([0]));
  loop.consumer.join({ orders: [1] });
  await new Promise((r) => setTimeout(r, 0));
  assert.ok(cluster.events.includes("producer disconnect g-orders-0"), "lost partition's producer");
  assert.ok(
    !cluster.events.includes("producer disconnect g-orders-1"),
    "kept partition's producer",
  );
  assert.match(metrics.render(), /router_rebalances_total 2/);
  assert.match(metrics.render(), /router_assigned_partitions 1/);
  assert.ok(lines.some((l) => l.msg === "rebalanced: partitions assigned"));
  // After the rebalance partition 1 is checked again: from a stale start,
  // offset 0 (committed already) is skipped and only offset 1 is new.
  const stale = await loop.consumer.deliver("orders", 1, messagesAt([0, 1], "p1-"));
  assert.deepEqual(stale.resolved, ["1"]);
  assert.deepEqual(values(cluster.records("out")), ["p1-1", "r0", "r0", "r1"]);
  assert.equal(cluster.groupOffset("g", "orders", 1), 2);
  await loop.stop();
});

Deno.test("the stop finishes the open transaction first, then closes the consumer, retry timers, admin and producers, in that order", async () => {
  const cluster = fakeKafka();
  const { log, lines } = capturedLog();
  const { work } = copyWork();
  const loop = await startLoop(cluster, work, { log });
  loop.consumer.join({ orders: [0] });
  await loop.consumer.deliver("orders", 0, messagesAt([0]));
  const mark = cluster.events.length;
  await loop.stop();
  assert.deepEqual(cluster.events.slice(mark), [
    "consumer disconnect",
    "retry close",
    "admin disconnect",
    "producer disconnect g-orders-0",
  ]);
  const msgs = lines.map((l) => l.msg);
  assert.ok(msgs.indexOf("stopping: finishing the open transaction") < msgs.indexOf("stopped"));
  assert.deepEqual(lines.at(-1)!.fields, { consumed: 1, transactions: 1, aborts: 0 });
});

Deno.test("a fatal crash (a refused login) ends the run in the same order and is thrown; a retriable one is only logged", async () => {
  const cluster = fakeKafka();
  const { log, lines } = capturedLog();
  const { work } = copyWork();
  const loop = await startLoop(cluster, work, { log });
  loop.consumer.crash(new Error("connection reset"), true);
  assert.ok(lines.some((l) => l.msg === "consumer crashed; kafkajs restarts it"));
  const mark = cluster.events.length;
  loop.consumer.crash(new Error("SASL PLAIN authentication failed: invalid credentials"), false);
  await assert.rejects(loop.done, /authentication failed/);
  assert.deepEqual(cluster.events.slice(mark), [
    "consumer disconnect",
    "retry close",
    "admin disconnect",
  ]);
  assert.ok(!lines.some((l) => l.msg === "stopped"));
});

Deno.test("the consumer reads committed records only, from the sources and their retry topics", async () => {
  const cluster = fakeKafka();
  const loop = await startLoop(cluster, copyWork().work);
  assert.equal(loop.consumer.config.readUncommitted, false);
  assert.equal(loop.consumer.config.rebalanceTimeout, 20_000, "twice the session timeout");
  assert.deepEqual(loop.consumer.subscribed, ["orders"]);
  await loop.stop();
});
