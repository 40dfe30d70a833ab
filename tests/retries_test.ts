/**
 * Non-blocking retries on the real broker, with failures injected into real
 * processes: backoff gaps, a poison record dead-lettered with its whole
 * history while the records behind it go through, and SIGKILLs during
 * hand-offs losing and repeating nothing across main, retry and DLQ topics.
 */
import assert from "node:assert/strict";
import { DLQ_HEADERS, readDeadLetterHeaders } from "../shared/retry/dead_letter.ts";
import { RETRY_HEADERS, retryHistory } from "../shared/retry/envelope.ts";
import { testBrokers, waitFor } from "./harness.ts";
import {
  killAfterProgress,
  pipelineTest,
  produceOrders,
  readAllCommitted,
  readRouted,
  routerCaughtUp,
  routerCommitted,
  startRouter,
  startScript,
  stopped,
  type TestRecord,
} from "./pipeline.ts";

const header = (m: TestRecord, name: string) => m.headers[name]?.toString();

/** Valid inventory orders only, from the generator seeded with `seed`. */
const INVENTORY_ONLY = (seed: number) => ({ seed, invalidRate: 0, mix: { inventory: 100 } });

/** The order ids of raw records that are inventory orders. */
function inventoryIds(records: { key: string; value: string }[]): string[] {
  return records.filter((r) => JSON.parse(r.value).type === "inventory").map((r) => r.key);
}

pipelineTest(
  "backoff: an order failing twice goes through on its third attempt, after the configured waits",
  "backoff",
  async ({ kafka, pipeline }) => {
    const records = await produceOrders(kafka, pipeline, 20, INVENTORY_ONLY(3));
    const flaky = inventoryIds(records)[5];
    const retryBase = `${pipeline.topics.orders.name}-inventory`;
    const proc = startRouter(pipeline, "inventory", [
      "--retry-initial-ms",
      "800",
      "--retry-multiplier",
      "2",
      "--inject-flaky-orders",
      `${flaky}:2`,
    ]);
    let running = true;
    try {
      const routed = await waitFor("the flaky order routed", async () => {
        const got = await readRouted(kafka, pipeline, "inventory");
        const ids = new Set(got.map((r) => String(r.value.orderId)));
        return ids.has(flaky) && ids.size === 20 ? got : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      // Stopped first: reading a topic appends end markers, which it would consume.
      running = false;
      await stopped(proc);
      const flakyLines = routed.filter((r) => r.value.orderId === flaky);
      assert.ok(flakyLines.length >= 1);

      const retry1 = await readAllCommitted(kafka, `${retryBase}-retry-1`);
      const retry2 = await readAllCommitted(kafka, `${retryBase}-retry-2`);
      assert.equal(retry1.length, 1, "one hand-off to retry-1");
      assert.equal(retry2.length, 1, "one hand-off to retry-2");
      assert.equal((await readAllCommitted(kafka, `${retryBase}-retry-3`)).length, 0);
      assert.equal(retry1[0].key?.toString(), flaky);
      assert.equal(header(retry2[0], RETRY_HEADERS.attempt), "2");
      assert.equal(header(retry2[0], RETRY_HEADERS.errorClass), "injected");

      // Waits: failure 1 → failure 2 ≥ 800 ms; failure 2 → success ≥ 1600 ms.
      const failed1 = Date.parse(header(retry1[0], RETRY_HEADERS.lastFailedAt)!);
      const failed2 = Date.parse(header(retry2[0], RETRY_HEADERS.lastFailedAt)!);
      const succeeded = Number(flakyLines[0].timestamp);
      const gap1 = failed2 - failed1, gap2 = succeeded - failed2;
      console.log(`measured backoff gaps: ${gap1} ms (configured 800), ${gap2} ms (1600)`);
      assert.ok(gap1 >= 800 && gap1 < 800 + 15_000, `first wait ${gap1} ms`);
      assert.ok(gap2 >= 1600 && gap2 < 1600 + 15_000, `second wait ${gap2} ms`);
      assert.equal(header(retry2[0], RETRY_HEADERS.firstFailedAt), new Date(failed1).toISOString());
      assert.equal((await readAllCommitted(kafka, pipeline.topics.ordersDlq.name)).length, 0);
    } finally {
      if (running) await stopped(proc);
    }
  },
);

pipelineTest(
  "poison: dead-lettered after its attempts with its whole history, never holding back the rest",
  "poison",
  async ({ kafka, pipeline }) => {
    // Orders behind the poison one in its partition must not wait for it.
    const records = await produceOrders(kafka, pipeline, 200, INVENTORY_ONLY(5));
    const poison = inventoryIds(records)[0];
    const proc = startRouter(pipeline, "inventory", [
      "--retry-attempts",
      "2",
      "--retry-initial-ms",
      "1500",
      "--inject-poison-orders",
      poison,
    ]);
    try {
      const dead = await waitFor("the poison order in the DLQ", async () => {
        const got = await readAllCommitted(kafka, pipeline.topics.ordersDlq.name);
        return got.length ? got : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      assert.equal(dead.length, 1);
      const h = readDeadLetterHeaders(dead[0].headers);
      const sent = records.find((r) => r.key === poison)!;
      assert.equal(dead[0].key?.toString(), poison);
      assert.equal(dead[0].value?.toString(), sent.value, "the original bytes");
      assert.equal(h.originalTopic, pipeline.topics.orders.name);
      assert.ok(Number(h.originalPartition) >= 0);
      assert.ok(Number(h.originalOffset) >= 0);
      assert.equal(h.originalKey, poison);
      assert.equal(h.attempts, "3", "the first try and two retries");
      assert.equal(h.errorClass, "injected");
      assert.match(h.reason!, /poison/);
      assert.equal(h.stage, "inventory_orders_producer");
      assert.equal(h.replayTopic, `${pipeline.topics.orders.name}-inventory-retry-1`);
      const first = Date.parse(h.firstFailedAt!), last = Date.parse(h.failedAt!);
      assert.ok(last - first >= 1500 + 3000, `failures ${last - first} ms apart`);
      assert.ok(DLQ_HEADERS.reason in (dead[0].headers ?? {}));

      // Every other order was routed, and before the poison one gave up.
      const routed = await readRouted(kafka, pipeline, "inventory");
      const ids = new Set(routed.map((r) => String(r.value.orderId)));
      assert.equal(ids.size, 199);
      assert.ok(!ids.has(poison));
      const lastRouted = Math.max(...routed.map((m) => Number(m.timestamp)));
      assert.ok(
        lastRouted < Number(dead[0].timestamp),
        "the partition kept moving while the poison order waited",
      );
    } finally {
      await stopped(proc);
    }
  },
);

pipelineTest(
  "SIGKILLs during hand-offs: each order once, in the target topic or the DLQ, each hand-off once",
  "handoff",
  async ({ kafka, pipeline }) => {
    const records = await produceOrders(kafka, pipeline, 1500, INVENTORY_ONLY(13));
    const retryBase = `${pipeline.topics.orders.name}-inventory`;
    const extra = [
      "--transaction-size",
      "20",
      "--linger-ms",
      "20",
      "--retry-attempts",
      "2",
      "--retry-initial-ms",
      "200",
      "--inject-failure-rate",
      "0.3",
    ];
    let before = 0;
    for (let kills = 0; kills < 3; kills++) {
      before = await killAfterProgress(startRouter(pipeline, "inventory", extra), async () => {
        const n = await routerCommitted(pipeline, "inventory");
        return n >= before + 250 ? n : 0;
      });
      if (before >= records.length - 250) break;
    }
    const last = startRouter(pipeline, "inventory", extra);
    const ids = inventoryIds(records);
    try {
      await waitFor("every order routed or dead-lettered", async () => {
        if (!await routerCaughtUp(pipeline, "inventory")) return false;
        const routed = await readRouted(kafka, pipeline, "inventory");
        const dead = await readAllCommitted(kafka, pipeline.topics.ordersDlq.name);
        const done = new Set([
          ...routed.map((r) => String(r.value.orderId)),
          ...dead.map((m) => m.key!.toString()),
        ]);
        return done.size === ids.length;
      }, { timeoutMs: 150_000, intervalMs: 1000 });
    } finally {
      await stopped(last);
    }

    const routed = await readRouted(kafka, pipeline, "inventory");
    const dead = (await readAllCommitted(kafka, pipeline.topics.ordersDlq.name)).map((m) =>
      m.key!.toString()
    );
    const lines = routed.map((r) => `${r.value.orderId}#${r.value.lineIndex}`);
    assert.equal(new Set(lines).size, lines.length, "no line routed twice");
    assert.equal(new Set(dead).size, dead.length, "no order dead-lettered twice");
    const routedIds = new Set(routed.map((r) => String(r.value.orderId)));
    assert.deepEqual(dead.filter((id) => routedIds.has(id)), [], "never both routed and dead");
    assert.equal(routedIds.size + dead.length, ids.length, "none lost");

    // Each hand-off once: an order's attempt n is on retry-n at most once.
    let handOffs = 0;
    for (const level of [1, 2]) {
      const retried = await readAllCommitted(kafka, `${retryBase}-retry-${level}`);
      const keys = retried.map((m) => m.key!.toString());
      assert.equal(new Set(keys).size, keys.length, `no order twice on retry-${level}`);
      for (const m of retried) {
        const h = retryHistory({
          topic: "",
          partition: m.partition,
          offset: String(m.offset),
          key: m.key,
          value: m.value,
          headers: m.headers,
        });
        assert.equal(h.attempts, level);
      }
      handOffs += retried.length;
    }
    console.log(
      `hand-offs: ${handOffs} to retry topics, ${dead.length} dead-lettered, ` +
        `${routedIds.size} routed`,
    );
    assert.ok(handOffs > 100, "failures were injected and retried");
  },
);

pipelineTest(
  "a dead-lettered order replayed from the DLQ is routed, once however often the replay runs",
  "replay",
  async ({ kafka, pipeline }) => {
    const records = await produceOrders(kafka, pipeline, 30, INVENTORY_ONLY(9));
    const poison = inventoryIds(records)[4];
    const noRetries = ["--retry-attempts", "0"];
    const routedIds = async () =>
      new Set(
        (await readRouted(kafka, pipeline, "inventory"))
          .map((r) => String(r.value.orderId)),
      );
    const failing = startRouter(pipeline, "inventory", [
      ...noRetries,
      "--inject-poison-orders",
      poison,
    ]);
    try {
      // Partitions commit independently: the others may still be in flight
      // when the poison's transaction lands.
      await waitFor("the poison order dead-lettered and the 29 others routed", async () => {
        return (await readAllCommitted(kafka, pipeline.topics.ordersDlq.name)).length === 1 &&
          (await routedIds()).size === 29;
      }, { timeoutMs: 60_000, intervalMs: 500 });
    } finally {
      await stopped(failing);
    }
    assert.equal((await routedIds()).size, 29);

    // The cause is fixed (no more injection); the replay sends it back.
    const replay = async () => {
      const proc = startScript("scripts/dlq_replayer.ts", [
        "replay",
        "--topic",
        pipeline.topics.ordersDlq.name,
        "--order-id",
        poison,
        "--brokers",
        testBrokers().join(","),
      ]);
      const status = await proc.status;
      assert.equal(status.code, 0, proc.output().slice(-3000));
      const summary = proc.output().split("\n").find((l) => l.startsWith('{"command":"replay"'));
      assert.ok(summary, proc.output().slice(-3000));
      return JSON.parse(summary) as { replayed: number; to: Record<string, number> };
    };
    const first = await replay();
    assert.equal(first.replayed, 1);
    assert.deepEqual(first.to, { [`${pipeline.topics.orders.name}-inventory-retry-1`]: 1 });
    assert.equal((await replay()).replayed, 0, "a second run replays nothing");

    const fixed = startRouter(pipeline, "inventory", noRetries);
    try {
      await waitFor("the replayed order routed", async () => (await routedIds()).has(poison), {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    } finally {
      await stopped(fixed);
    }
    const lines = (await readRouted(kafka, pipeline, "inventory")).filter((r) =>
      r.value.orderId === poison
    );
    const expected = JSON.parse(records.find((r) => r.key === poison)!.value).items.length;
    assert.equal(lines.length, expected, "each of its lines once");
    assert.equal((await readAllCommitted(kafka, pipeline.topics.ordersDlq.name)).length, 1);
  },
);
