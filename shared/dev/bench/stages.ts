/**
 * Each stage of the product alone, as the scripts users run: a routing
 * producer (transactions, registry, Avro) on a backlog of raw orders, each
 * data consumer with each store backend on what the routers wrote, and the
 * aggregator on the raw orders. A stage's rate runs from its first committed
 * progress to its last, so start-up and group joining are left out.
 *
 * @example
 * ```ts
 * import { measureRouter } from "./stages.ts";
 * // const { measurement, target, routedRecords } = await measureRouter(ctx, { route: "inventory", source, total });
 * ```
 * @module
 */
import { join } from "node:path";
import { ensureTopics, TOPICS, type TopicSpec } from "../../kafka/topics.ts";
import { type BenchContext, benchTopic } from "./context.ts";
import {
  type BenchProcess,
  committedTotal,
  cpuBetween,
  sampleAll,
  type ScriptSpec,
  startBenchScript,
  stopAll,
  waitUntil,
} from "./processes.ts";
import type { Measurement } from "./report.ts";

/** Starts `specs`, waits until `progress` reaches `total`, stops them, and says the rate. */
export async function measureStage(ctx: BenchContext, o: {
  id: string;
  name: string;
  specs: ScriptSpec[];
  total: number;
  progress: (procs: BenchProcess[]) => Promise<number>;
  beforeStop?: (procs: BenchProcess[]) => Promise<void>;
}): Promise<Measurement> {
  ctx.log.info("measuring", { stage: o.id, records: o.total });
  const spawned = performance.now();
  const procs: BenchProcess[] = [];
  try {
    for (const [i, spec] of o.specs.entries()) {
      procs.push(await startBenchScript({ ...spec, logDir: join(ctx.logDir, o.id, String(i)) }));
    }
    let first: { t: number; done: number; samples: ReturnType<typeof sampleAll> } | undefined;
    let last = { t: 0, samples: sampleAll(procs) };
    await waitUntil(o.id, {
      procs,
      progress: () => o.progress(procs),
      check: async () => {
        const done = await o.progress(procs);
        const t = performance.now();
        if (!first && done > 0) first = { t, done, samples: sampleAll(procs) };
        if (done < o.total) return false;
        last = { t, samples: sampleAll(procs) };
        return true;
      },
    });
    await o.beforeStop?.(procs);
    const peakRssMb = Math.max(...[...last.samples.values()].map((s) => s.peakRssMb));
    if (first && first.done < o.total && last.t > first.t) {
      return {
        id: o.id,
        section: "stage",
        name: o.name,
        records: o.total - first.done,
        seconds: (last.t - first.t) / 1000,
        recordsPerSec: (o.total - first.done) / ((last.t - first.t) / 1000),
        cpuSeconds: cpuBetween(first.samples, last.samples),
        peakRssMb,
      };
    }
    const seconds = (last.t - spawned) / 1000;
    return {
      id: o.id,
      section: "stage",
      name: o.name,
      records: o.total,
      seconds,
      recordsPerSec: o.total / seconds,
      cpuSeconds: cpuBetween(new Map(), last.samples),
      peakRssMb,
      note: "done in one step: start-up included",
    };
  } finally {
    await stopAll(procs);
  }
}

/** The result of a routing stage: its line, and what it wrote for the consumers. */
export interface RouterStage {
  measurement: Measurement;
  target: TopicSpec;
  routedRecords: number;
}

/** A routing producer's arguments for this run. */
export function routerSpec(ctx: BenchContext, o: {
  route: "inventory" | "delivery";
  source: string;
  target: string;
  tag: string;
  extra?: string[];
}): ScriptSpec {
  return {
    entry: `producers/${o.route}_orders_producer.ts`,
    args: [
      "--brokers",
      ctx.brokers.join(","),
      "--registry-url",
      ctx.registryUrl,
      "--source-topic",
      o.source,
      "--target-topic",
      o.target,
      "--dlq-topic",
      `bench-${ctx.runId}-${o.tag}-dlq`,
      "--retry-topic-prefix",
      `bench-${ctx.runId}-${o.tag}`,
      "--group-id",
      `bench-${ctx.runId}-${o.tag}`,
      "--progress-interval",
      "5",
      ...(o.extra ?? []),
    ],
  };
}

/** One routing producer draining `total` raw orders from `source`. */
export async function measureRouter(ctx: BenchContext, o: {
  route: "inventory" | "delivery";
  source: TopicSpec;
  total: number;
  injectFailureRate?: number;
}): Promise<RouterStage> {
  const failing = o.injectFailureRate !== undefined;
  const tag = `router-${o.route}${failing ? "-failures" : ""}`;
  const like = o.route === "inventory" ? TOPICS.inventoryOrders : TOPICS.deliveryOrders;
  const target = benchTopic(
    ctx.runId,
    `${o.route}_orders${failing ? "-failures" : ""}`,
    ctx.partitions,
    like,
  );
  await ensureTopics(ctx.admin, [target]);
  const groupId = `bench-${ctx.runId}-${tag}`;
  let routedRecords = 0;
  const measurement = await measureStage(ctx, {
    id: `stage.router.${o.route}${failing ? ".failures" : ""}`,
    name: `${o.route} routing producer (transactions, Avro)` +
      (failing ? `, ${o.injectFailureRate! * 100}% failing` : ""),
    specs: [routerSpec(ctx, {
      route: o.route,
      source: o.source.name,
      target: target.name,
      tag,
      extra: failing ? ["--inject-failure-rate", String(o.injectFailureRate)] : [],
    })],
    total: o.total,
    progress: () => committedTotal(ctx.admin, groupId, o.source.name),
    beforeStop: async ([p]) => {
      routedRecords = await p.counter("router_routed_records_total");
    },
  });
  measurement.note = failing
    ? "raw orders/s on the main topic; retries run on their own topics"
    : `raw orders/s read; ${routedRecords} records written`;
  return { measurement, target, routedRecords };
}

/** A data consumer's arguments for this run. */
export function consumerSpec(ctx: BenchContext, o: {
  kind: "inventory" | "delivery";
  source: string;
  databaseUrl: string;
  tag: string;
}): ScriptSpec {
  return {
    entry: `consumers/${o.kind}_data_consumer.ts`,
    args: [
      "--brokers",
      ctx.brokers.join(","),
      "--registry-url",
      ctx.registryUrl,
      "--database-url",
      o.databaseUrl,
      "--source-topics",
      o.source,
      "--status-topic",
      `bench-${ctx.runId}-${o.tag}-status`,
      "--group-id",
      `bench-${ctx.runId}-${o.tag}`,
      "--progress-interval",
      "5",
    ],
  };
}

/** One data consumer applying `total` records of `source` to `databaseUrl`. */
export function measureConsumer(ctx: BenchContext, o: {
  kind: "inventory" | "delivery";
  backend: "sqlite" | "postgres";
  source: TopicSpec;
  total: number;
  databaseUrl: string;
}): Promise<Measurement> {
  const tag = `consumer-${o.kind}-${o.backend}`;
  return measureStage(ctx, {
    id: `stage.consumer.${o.kind}.${o.backend}`,
    name: `${o.kind} data consumer, ${o.backend === "sqlite" ? "SQLite" : "PostgreSQL"}`,
    specs: [
      consumerSpec(ctx, { kind: o.kind, source: o.source.name, databaseUrl: o.databaseUrl, tag }),
    ],
    total: o.total,
    progress: ([p]) => p.counter("consumer_records_total"),
  }).then((m) => ({
    ...m,
    note: "Avro records applied/s, one database and one Kafka transaction per batch",
  }));
}

/** The aggregator's arguments for this run, reading `orders`. */
export function aggregatorSpec(ctx: BenchContext, o: { orders: string; tag: string }): ScriptSpec {
  const prefix = `bench-${ctx.runId}-${o.tag}`;
  return {
    entry: "scripts/aggregator.ts",
    args: [
      "--brokers",
      ctx.brokers.join(","),
      "--orders-topic",
      o.orders,
      "--status-topic",
      `${prefix}-status`,
      "--clicks-topic",
      `${prefix}-clicks`,
      "--retry-pattern",
      `^${prefix}-.*-retry-\\d+$`,
      "--dlq-pattern",
      `^${prefix}-.*-dlq$`,
      "--stats-topic",
      `${prefix}-stats`,
      "--group-id",
      prefix,
      "--transactional-id",
      prefix,
      "--http-port",
      "0",
      "--progress-interval",
      "5",
    ],
  };
}

/** The aggregator folding `total` raw orders. */
export function measureAggregator(ctx: BenchContext, o: {
  source: TopicSpec;
  total: number;
}): Promise<Measurement> {
  const tag = "aggregator";
  return measureStage(ctx, {
    id: "stage.aggregator",
    name: "aggregator (state committed every second)",
    specs: [aggregatorSpec(ctx, { orders: o.source.name, tag })],
    total: o.total,
    progress: () => committedTotal(ctx.admin, `bench-${ctx.runId}-${tag}`, o.source.name),
  }).then((m) => ({ ...m, note: "raw orders folded/s" }));
}
