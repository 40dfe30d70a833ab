import assert from "node:assert/strict";
import { type LagAdmin, startLagMetrics } from "./lag_metrics.ts";
import { MetricsRegistry } from "../platform/metrics.ts";

/** An admin client over fixed offsets; `failConnect` fails the first n connects. */
function fakeAdmin(
  ends: Record<string, number[]>,
  committed: Record<string, number[]>,
  options: { failConnect?: number } = {},
) {
  const calls = { connect: 0, disconnect: 0, fetches: 0 };
  let failConnect = options.failConnect ?? 0;
  const admin: LagAdmin = {
    connect: () => {
      calls.connect++;
      if (failConnect-- > 0) return Promise.reject(new Error("broker away"));
      return Promise.resolve();
    },
    disconnect: () => {
      calls.disconnect++;
      return Promise.resolve();
    },
    fetchTopicOffsets: (topic: string) => {
      calls.fetches++;
      const highs = ends[topic];
      if (!highs) return Promise.reject(new Error(`unknown topic ${topic}`));
      return Promise.resolve(highs.map((high, partition) => ({
        partition,
        offset: String(high),
        high: String(high),
        low: "0",
      })));
    },
    fetchOffsets: ({ topics }: { groupId: string; topics?: string[] }) =>
      Promise.resolve((topics ?? []).map((topic) => ({
        topic,
        partitions: (committed[topic] ?? []).map((offset, partition) => ({
          partition,
          offset: String(offset),
          metadata: null,
        })),
      }))),
  } as unknown as LagAdmin;
  return { admin, calls, ends };
}

/** Lag metrics of group `g` on `topics`, refreshed every `intervalMs` (by default: only when asked). */
function lagOf(admin: LagAdmin, metrics: MetricsRegistry, topics: string[], intervalMs = 60_000) {
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
  assert.equal(calls.connect, 1);
  assert.equal(calls.disconnect, 1);
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
  const { admin, calls, ends } = fakeAdmin({ t: [2] }, { t: [0] }, { failConnect: 1 });
  const lag = lagOf(admin, metrics, ["t"]);
  // The refresh started with the call fails to connect (a refresh in flight is shared).
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
  assert.equal(calls.connect, 2);
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
