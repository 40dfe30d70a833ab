import assert from "node:assert/strict";
import { type LagMetricsOptions, startLagMetrics } from "./lag_metrics.ts";
import { MetricsRegistry } from "../platform/metrics.ts";

/**
 * An admin client over fixed offsets, in the shapes @platformatic/kafka's
 * answers have; `failRequests` fails the first n requests, as an
 * unreachable broker does.
 */
function fakeAdmin(
  ends: Record<string, number[]>,
  committed: Record<string, number[]>,
  options: { failRequests?: number } = {},
) {
  const calls = { close: 0, fetches: 0 };
  let failRequests = options.failRequests ?? 0;
  const reachable = () => {
    if (failRequests-- > 0) throw new Error("broker away");
  };
  const admin: TestAdmin = {
    metadata: ({ topics }: { topics?: string[] }) => {
      reachable();
      calls.fetches++;
      const known = (topics ?? []).filter((t) => ends[t]);
      if (known.length < (topics ?? []).length) {
        return Promise.reject(new Error(`unknown topic ${topics}`));
      }
      return Promise.resolve({
        brokers: new Map([[1, {}]]),
        topics: new Map(known.map((t) => [t, { partitionsCount: ends[t].length }])),
      });
    },
    listOffsets: (
      { topics }: { topics: { name: string; partitions: { timestamp: bigint }[] }[] },
    ) => {
      reachable();
      return Promise.resolve(topics.map(({ name, partitions }) => ({
        name,
        partitions: partitions.map((p, partitionIndex) => ({
          partitionIndex,
          // -2: the earliest offset, -1: the end.
          offset: BigInt(p.timestamp === -2n ? 0 : ends[name][partitionIndex]),
        })),
      })));
    },
    listConsumerGroupOffsets: (
      { groups }: { groups: { groupId: string; topics: { name: string }[] }[] },
    ) => {
      reachable();
      return Promise.resolve(groups.map(({ groupId, topics }) => ({
        groupId,
        topics: topics.map(({ name }) => ({
          name,
          partitions: (committed[name] ?? []).map((offset, partitionIndex) => ({
            partitionIndex,
            committedOffset: BigInt(offset),
          })),
        })),
      })));
    },
    close: () => {
      calls.close++;
      return Promise.resolve();
    },
  } as unknown as TestAdmin;
  return { admin, calls, ends };
}

type TestAdmin = LagMetricsOptions["admin"];

/** Lag metrics of group `g` on `topics`, refreshed every `intervalMs` (by default: only when asked). */
function lagOf(admin: TestAdmin, metrics: MetricsRegistry, topics: string[], intervalMs = 60_000) {
  return startLagMetrics({ admin, metrics, groupId: "g", topics, intervalMs });
}

Deno.test("lag metrics: one series per topic and partition, the broker's figures", async () => {
  const metrics = new MetricsRegistry({ script: "s" });
  const { admin, calls } = fakeAdmin({ orders: [10, 7], "orders-retry-1": [3] }, {
    orders: [4, 7],
  });
  const lag = lagOf(admin, metrics, ["orders", "orders-retry-1"]);
  assert.equal(await lag.refresh(), true);
  const text = metrics.render();
  assert.match(text, /# TYPE consumer_group_lag gauge/);
  assert.match(text, /consumer_group_lag\{script="s",group="g",topic="orders",partition="0"\} 6/);
  assert.match(text, /consumer_group_lag\{script="s",group="g",topic="orders",partition="1"\} 0/);
  // Nothing committed on the retry topic yet: everything in it is lag.
  assert.match(
    text,
    /consumer_group_lag\{script="s",group="g",topic="orders-retry-1",partition="0"\} 3/,
  );
  await lag.stop();
  assert.equal(calls.close, 1);
});

Deno.test("lag metrics: a missing topic leaves the others counted", async () => {
  const metrics = new MetricsRegistry();
  const { admin } = fakeAdmin({ orders: [5] }, { orders: [5] });
  const lag = lagOf(admin, metrics, ["not-yet", "orders"]);
  assert.equal(await lag.refresh(), false);
  assert.match(metrics.render(), /consumer_group_lag\{group="g",topic="orders",partition="0"\} 0/);
  await lag.stop();
});

Deno.test("lag metrics: an unreachable broker is tried again, values follow changes", async () => {
  const metrics = new MetricsRegistry();
  const { admin, ends } = fakeAdmin({ t: [2] }, { t: [0] }, { failRequests: 1 });
  const lag = lagOf(admin, metrics, ["t"]);
  // The refresh started with the call finds no broker (a refresh in flight is shared).
  assert.equal(await lag.refresh(), false);
  assert.equal(await lag.refresh(), true);
  assert.equal(
    metrics.gauge("consumer_group_lag", "", ["group", "topic", "partition"]).get({
      group: "g",
      topic: "t",
      partition: 0,
    }),
    2,
  );
  ends.t = [9];
  await lag.refresh();
  assert.match(metrics.render(), /consumer_group_lag\{group="g",topic="t",partition="0"\} 9/);
  await lag.stop();
});

Deno.test("lag metrics: the timer refreshes on its own and stops with stop()", async () => {
  const metrics = new MetricsRegistry();
  const { admin, calls } = fakeAdmin({ t: [1] }, { t: [1] });
  const lag = lagOf(admin, metrics, ["t"], 20);
  const deadline = Date.now() + 10_000;
  while (calls.fetches < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(calls.fetches >= 3, `fetched ${calls.fetches} times`);
  await lag.stop();
  const after = calls.fetches;
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(calls.fetches, after);
});
