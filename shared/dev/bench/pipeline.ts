/**
 * The whole pipeline end to end: both routing producers, both data
 * consumers (SQLite) and the aggregator running together, `instances` of
 * each router and consumer. First a backlog, offered as fast as a batched
 * producer can, is drained (sustained orders/s, CPU per 10k orders, peak
 * RSS per script); then orders arrive at a steady rate and each inventory
 * order's latency runs from its `createdAt` to its lines' `recorded_at` in
 * the inventory database.
 *
 * @example
 * ```ts
 * import { measurePipeline } from "./pipeline.ts";
 * // const { pipeline, measurement } = await measurePipeline(ctx, { orders: 20_000, instances: 1, latencyRate: 1000, latencySeconds: 20 });
 * ```
 * @module
 */
import { join } from "node:path";
// @ts-ignore: this project's @types/node (v18, pulled in by testcontainers) predates node:sqlite
import { DatabaseSync as UntypedDatabaseSync } from "node:sqlite";
import { ensureTopics, TOPICS, type TopicSpec } from "../../kafka/topics.ts";
import { type BenchContext, benchTopic } from "./context.ts";
import { produceAtRate, produceBacklog } from "./orders.ts";
import {
  type BenchProcess,
  committedTotal,
  counterSum,
  cpuBetween,
  sampleAll,
  startBenchScript,
  stopAll,
  waitUntil,
} from "./processes.ts";
import { sampleProcess } from "./proc.ts";
import type { Measurement, PipelineResult } from "./report.ts";
import { aggregatorSpec, consumerSpec, routerSpec } from "./stages.ts";
import { cpuPer10k, latencySummary } from "./stats.ts";

/** Latency per order: the last of its lines' `recorded_at` minus its creation. */
export function orderLatencies(
  createdAt: ReadonlyMap<string, number>,
  recorded: Iterable<{ order_id: string; at: number }>,
): number[] {
  const out: number[] = [];
  for (const r of recorded) {
    const c = createdAt.get(r.order_id);
    if (c !== undefined) out.push(r.at - c);
  }
  return out;
}

/** When each order's last line was recorded in the inventory database (SQLite). */
function recordedAt(path: string): { order_id: string; at: number }[] {
  const Database = UntypedDatabaseSync as new (path: string, options: { readOnly: boolean }) => {
    prepare(sql: string): { all(): unknown[] };
    close(): void;
  };
  const db = new Database(path, { readOnly: true });
  try {
    return db.prepare(
      "SELECT order_id, MAX(recorded_at) AS at FROM inventory_lines GROUP BY order_id",
    ).all() as { order_id: string; at: number }[];
  } finally {
    db.close();
  }
}

/** Runs the whole pipeline: a backlog drained, then a steady rate for latency. */
export async function measurePipeline(ctx: BenchContext, o: {
  orders: number;
  instances: number;
  latencyRate: number;
  latencySeconds: number;
  brokerPid?: number;
}): Promise<{ pipeline: PipelineResult; measurement: Measurement }> {
  const t = (what: string, like: TopicSpec = TOPICS.orders) =>
    benchTopic(ctx.runId, `e2e-${what}`, ctx.partitions, like);
  const orders = t("orders");
  const inventory = t("inventory_orders", TOPICS.inventoryOrders);
  const delivery = t("delivery_orders", TOPICS.deliveryOrders);
  await ensureTopics(ctx.admin, [orders, inventory, delivery]);
  const inventoryDb = join(ctx.logDir, "e2e-inventory.db");
  const deliveryDb = join(ctx.logDir, "e2e-delivery.db");
  await Deno.mkdir(ctx.logDir, { recursive: true });

  const group = (tag: string) => `bench-${ctx.runId}-${tag}`;
  const roles: { role: string; spec: ReturnType<typeof routerSpec> }[] = [];
  for (let i = 0; i < o.instances; i++) {
    for (const route of ["inventory", "delivery"] as const) {
      roles.push({
        role: `${route}_orders_producer`,
        spec: routerSpec(ctx, {
          route,
          source: orders.name,
          target: route === "inventory" ? inventory.name : delivery.name,
          tag: `e2e-router-${route}`,
        }),
      });
      roles.push({
        role: `${route}_data_consumer`,
        spec: consumerSpec(ctx, {
          kind: route,
          source: route === "inventory" ? inventory.name : delivery.name,
          databaseUrl: `sqlite:${route === "inventory" ? inventoryDb : deliveryDb}`,
          tag: `e2e-consumer-${route}`,
        }),
      });
    }
  }
  roles.push({
    role: "aggregator",
    spec: aggregatorSpec(ctx, { orders: orders.name, tag: "e2e-aggregator" }),
  });

  const procs: (BenchProcess & { role: string })[] = [];
  try {
    for (const [i, r] of roles.entries()) {
      const p = await startBenchScript({ ...r.spec, logDir: join(ctx.logDir, "e2e", `${i}`) });
      procs.push(Object.assign(p, { role: r.role }));
    }
    const byRole = (role: string) => procs.filter((p) => p.role === role);
    const invRouters = byRole("inventory_orders_producer");
    const delRouters = byRole("delivery_orders_producer");
    const invConsumers = byRole("inventory_data_consumer");
    const delConsumers = byRole("delivery_data_consumer");
    const aggregator = byRole("aggregator");

    // Every script up and owning its partitions before the clock starts.
    ctx.log.info("waiting for the pipeline's scripts", { processes: procs.length });
    const readyBy = performance.now() + 90_000;
    await waitUntil("the pipeline to start", {
      procs,
      check: async () => {
        const owned = await Promise.all([
          counterSum(invRouters, "router_assigned_partitions"),
          counterSum(delRouters, "router_assigned_partitions"),
          counterSum(invConsumers, "consumer_assigned_partitions"),
          counterSum(delConsumers, "consumer_assigned_partitions"),
          counterSum(aggregator, "aggregator_subscribed_topics"),
        ]);
        return owned.every((n) => n >= 1) && owned.slice(0, 4).every((n) => n >= ctx.partitions) ||
          performance.now() > readyBy;
      },
    });

    let produced = 0;
    const done = async () => {
      const [ri, rd, ag] = await Promise.all([
        committedTotal(ctx.admin, group("e2e-router-inventory"), orders.name),
        committedTotal(ctx.admin, group("e2e-router-delivery"), orders.name),
        committedTotal(ctx.admin, group("e2e-aggregator"), orders.name),
      ]);
      if (ri < produced || rd < produced || ag < produced) return false;
      const [wi, wd, ci, cd] = await Promise.all([
        counterSum(invRouters, "router_routed_records_total"),
        counterSum(delRouters, "router_routed_records_total"),
        counterSum(invConsumers, "consumer_records_total"),
        counterSum(delConsumers, "consumer_records_total"),
      ]);
      return ci >= wi && cd >= wd;
    };
    const progress = async () =>
      (await counterSum([...invConsumers, ...delConsumers], "consumer_records_total")) +
      (await committedTotal(ctx.admin, group("e2e-aggregator"), orders.name));

    // 1. The backlog.
    ctx.log.info("end to end: backlog", { orders: o.orders });
    const before = sampleAll(procs);
    const brokerBefore = o.brokerPid ? sampleProcess(o.brokerPid) : undefined;
    const t0 = performance.now();
    produced = o.orders;
    await produceBacklog(ctx.connection, orders.name, o.orders, 11);
    await waitUntil("the backlog to drain", { procs, check: done, progress });
    const seconds = (performance.now() - t0) / 1000;
    const after = sampleAll(procs);
    const brokerAfter = o.brokerPid ? sampleProcess(o.brokerPid) : undefined;
    const peakRssMb: Record<string, number> = {};
    for (const p of procs) {
      const mb = after.get(p.pid)?.peakRssMb ?? NaN;
      peakRssMb[p.role] = Math.max(peakRssMb[p.role] ?? 0, mb);
    }

    // 2. A steady rate, for latency.
    ctx.log.info("end to end: steady rate", { rate: o.latencyRate, seconds: o.latencySeconds });
    const steady = await produceAtRate(ctx.connection, orders.name, {
      rate: o.latencyRate,
      seconds: o.latencySeconds,
      seed: 12,
    });
    produced += steady.sent;
    await waitUntil("the steady orders to land", { procs, check: done, progress });
    const rows = recordedAt(inventoryDb);
    const latencies = orderLatencies(
      steady.createdAt,
      rows.map((r) => ({ ...r, at: Number(r.at) })),
    );

    const ordersPerSec = o.orders / seconds;
    const pipeline: PipelineResult = {
      backlogOrders: o.orders,
      seconds,
      ordersPerSec,
      cpuSecondsPer10k: cpuPer10k(cpuBetween(before, after), o.orders),
      brokerCpuSecondsPer10k: brokerBefore && brokerAfter
        ? cpuPer10k(brokerAfter.cpuSeconds - brokerBefore.cpuSeconds, o.orders)
        : undefined,
      peakRssMb,
      instances: o.instances,
      latency: {
        ...latencySummary(latencies),
        offeredRate: o.latencyRate,
        achievedRate: steady.sent / steady.seconds,
        seconds: steady.seconds,
      },
    };
    const measurement: Measurement = {
      id: "pipeline.backlog",
      section: "pipeline",
      name: `whole pipeline: ${procs.length} scripts draining a backlog`,
      records: o.orders,
      seconds,
      recordsPerSec: ordersPerSec,
      cpuSeconds: cpuBetween(before, after),
      peakRssMb: Math.max(...Object.values(peakRssMb)),
      note:
        "orders/s from the first order produced to the last effect of every consumer and the aggregator",
    };
    return { pipeline, measurement };
  } finally {
    await stopAll(procs);
  }
}
