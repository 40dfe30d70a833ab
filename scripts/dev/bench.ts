/**
 * `deno task bench`: one command, one run, one broker. Measures, in order:
 *
 * 1. the limit: Kafka's own producer and consumer perf tools;
 * 2. plain kafkajs (batched, acks=all, idempotent producer; a consumer)
 *    under Deno and under Node, the same file (bench/plain_kafkajs.mjs), and
 *    @platformatic/kafka the same way (bench/plain_platformatic.mjs);
 * 3. each stage of the product alone: both routing producers (and the
 *    inventory one with 10% of records failing), each data consumer with
 *    SQLite and with PostgreSQL, the aggregator;
 * 4. the whole pipeline end to end: a backlog drained (orders/s, CPU per
 *    10k orders, peak RSS per script), then a steady rate (latency from an
 *    order's creation to its lines in the inventory database);
 *
 * then prints the tables (measurements, end to end, ratios, targets) and
 * writes build/bench.json. Every record is the size of a raw order.
 *
 *   deno task bench [--short] [--orders 100000] [--backlog 1000000] [--partitions 6]
 *                   [--instances 1]
 *                   [--only tools,kafkajs,stages,pipeline]
 *
 * @module
 */
import { join } from "node:path";
import { defineConfig } from "../../shared/platform/config.ts";
import { createAdmin } from "../../shared/kafka/client.ts";
import { createLogger } from "../../shared/platform/log.ts";
import { provideBroker } from "../../shared/dev/broker/provide.ts";
import { waitUntilReady } from "../../shared/dev/broker/ready.ts";
import { nodesFlag, provisionKafka } from "../../shared/dev/broker/local_kafka.ts";
import { startRegistry } from "../../shared/registry/server.ts";
import { createDatabase, startLocalPostgres } from "../../shared/dev/local_postgres.ts";
import { ensureTopics } from "../../shared/kafka/topics.ts";
import { type BenchContext, benchTopic } from "../../shared/dev/bench/context.ts";
import { measureKafkaTools, measurePlain, PLAIN_CLIENTS } from "../../shared/dev/bench/legs.ts";
import { meanOrderBytes, produceBacklog } from "../../shared/dev/bench/orders.ts";
import { measurePipeline } from "../../shared/dev/bench/pipeline.ts";
import {
  BENCH_SECTIONS,
  type BenchReport,
  type BenchSection,
  computeRatios,
  evaluateTargets,
  type Measurement,
  pipelineNotMeasured,
} from "../../shared/dev/bench/report.ts";
import {
  measureAggregator,
  measureConsumer,
  measureRouter,
} from "../../shared/dev/bench/stages.ts";
import { renderReport } from "../../shared/dev/bench/table.ts";

const config = defineConfig({
  name: "bench",
  summary: "the benchmark: Kafka's tools, plain kafkajs (Deno and Node), each stage of the " +
    "product and the whole pipeline, on one broker; prints tables, writes JSON",
  flags: {
    short: {
      type: "boolean",
      env: "BENCH_SHORT",
      description: "a small scale that only proves the bench works (CI), not a speed to judge",
    },
    nodes: nodesFlag(
      "BENCH_NODES",
      "nodes of the local cluster it starts (3: replication 3, min.insync 2)",
    ),
    records: {
      type: "number",
      integer: true,
      min: 100,
      env: "BENCH_RECORDS",
      description: "records for Kafka's tools and plain kafkajs [default: 200000; 5000 short]",
    },
    orders: {
      type: "number",
      integer: true,
      min: 100,
      env: "BENCH_ORDERS",
      description: "raw orders for each stage alone [default: 100000; 1500 short]",
    },
    backlog: {
      type: "number",
      integer: true,
      min: 100,
      env: "BENCH_BACKLOG",
      description: "end to end: the backlog of raw orders drained " +
        "[default: 1000000, the targets' scale; 1500 short]",
    },
    partitions: {
      type: "number",
      integer: true,
      min: 1,
      max: 64,
      env: "BENCH_PARTITIONS",
      default: 6,
      description: "partitions of every topic the bench creates",
    },
    instances: {
      type: "number",
      integer: true,
      min: 1,
      max: 8,
      env: "BENCH_INSTANCES",
      default: 1,
      description: "end to end: instances of each routing producer and data consumer",
    },
    recordSize: {
      type: "number",
      integer: true,
      min: 10,
      env: "BENCH_RECORD_SIZE",
      description: "bytes per record for the tools and plain kafkajs " +
        "[default: the mean size of a generated raw order]",
    },
    batchSize: {
      type: "number",
      integer: true,
      min: 1,
      default: 1000,
      description: "plain kafkajs: records per send() call",
    },
    latencyRate: {
      type: "number",
      integer: true,
      min: 1,
      env: "BENCH_LATENCY_RATE",
      description:
        "end to end: orders/s offered for the latency figures [default: 1000; 200 short]",
    },
    latencySeconds: {
      type: "number",
      min: 1,
      env: "BENCH_LATENCY_SECONDS",
      description: "end to end: how long the steady rate lasts [default: 20; 4 short]",
    },
    failureRate: {
      type: "number",
      min: 0,
      max: 1,
      default: 0.1,
      description: "--inject-failure-rate of the failing routing run",
    },
    only: {
      type: "list",
      env: "BENCH_ONLY",
      description: `sections to run, of ${BENCH_SECTIONS.join(",")} [default: all]`,
    },
    output: {
      type: "string",
      env: "BENCH_OUTPUT",
      default: "build/bench.json",
      description: "where the JSON goes",
    },
  },
});

/** The machine, as the results need it said. */
async function machine(): Promise<BenchReport["machine"]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const node = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output()
    .then((o) => new TextDecoder().decode(o.stdout).trim()).catch(() => undefined);
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? "unknown",
    memGb: Math.round(Deno.systemMemoryInfo().total / 1024 ** 3),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    node,
  };
}

/**
 * Each stage alone on one backlog of raw orders: both routers (and the
 * inventory one with failures), each consumer with each backend, the
 * aggregator (PostgreSQL is a throwaway one, stopped at the end).
 */
async function measureStages(
  ctx: BenchContext,
  o: { orders: number; failureRate: number },
  measurements: Measurement[],
  notes: string[],
): Promise<void> {
  const { admin, connection, log, logDir, runId } = ctx;
  const raw = benchTopic(runId, "orders", ctx.partitions);
  await ensureTopics(admin, [raw]);
  await produceBacklog(connection, raw.name, o.orders, 1);
  const routed = {
    inventory: await measureRouter(ctx, { route: "inventory", source: raw, total: o.orders }),
    delivery: await measureRouter(ctx, { route: "delivery", source: raw, total: o.orders }),
  };
  measurements.push(routed.inventory.measurement, routed.delivery.measurement);
  measurements.push(
    (await measureRouter(ctx, {
      route: "inventory",
      source: raw,
      total: o.orders,
      injectFailureRate: o.failureRate,
    })).measurement,
  );
  const postgres = await startLocalPostgres({ log }).catch((err) => {
    notes.push(`PostgreSQL consumers not measured: ${err.message}`);
    return undefined;
  });
  try {
    for (const kind of ["inventory", "delivery"] as const) {
      for (const backend of ["sqlite", "postgres"] as const) {
        if (backend === "postgres" && !postgres) continue;
        const databaseUrl = backend === "sqlite"
          ? `sqlite:${join(logDir, `${kind}.db`)}`
          : await createDatabase(postgres!.url, `bench_${runId}_${kind}`);
        measurements.push(
          await measureConsumer(ctx, {
            kind,
            backend,
            source: routed[kind].target,
            total: routed[kind].routedRecords,
            databaseUrl,
          }),
        );
      }
    }
    measurements.push(await measureAggregator(ctx, { source: raw, total: o.orders }));
  } finally {
    await postgres?.stop().catch(() => {});
  }
}

async function main(): Promise<number> {
  const cfg = config.load();
  const started = performance.now();
  const short = cfg.short ?? false;
  const scale = {
    records: cfg.records ?? (short ? 5_000 : 200_000),
    orders: cfg.orders ?? (short ? 1_500 : 100_000),
    backlog: cfg.backlog ?? (short ? 1_500 : 1_000_000),
    partitions: cfg.partitions,
    instances: cfg.instances,
    recordSize: cfg.recordSize ?? meanOrderBytes(),
    latencyRate: cfg.latencyRate ?? (short ? 200 : 1000),
    latencySeconds: cfg.latencySeconds ?? (short ? 4 : 20),
  };
  const only = cfg.only ?? [...BENCH_SECTIONS];
  const unknown = only.filter((s) => !(BENCH_SECTIONS as readonly string[]).includes(s));
  if (unknown.length) {
    console.error(`bench: --only: unknown section ${unknown.join(", ")} (${BENCH_SECTIONS})`);
    return 2;
  }
  const runs = (section: BenchSection) => only.includes(section);
  const log = createLogger({ name: "bench" });
  const notes: string[] = [];
  if (only.length < BENCH_SECTIONS.length) {
    notes.push(`only ${only.join(", ")} measured (--only): the other figures are n/a`);
  }
  const broker = await provideBroker({ log, nodes: cfg.nodes });
  const runId = Date.now().toString(36);
  const logDir = join("build", "bench", runId);
  const connection = { brokers: broker.brokers, clientId: "bench" };
  const admin = createAdmin(connection);
  let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
  try {
    await waitUntilReady(connection, log);
    registry = await startRegistry({ connection, topic: `bench-${runId}-_schemas`, port: 0, log });
    const ctx: BenchContext = {
      brokers: broker.brokers,
      connection,
      admin,
      registryUrl: registry.url,
      runId,
      partitions: scale.partitions,
      logDir,
      log,
    };
    log.info("bench", { runId, short, ...scale, logs: logDir });
    const measurements: Measurement[] = [];

    // 1. The limit, and 2. plain kafkajs.
    const legs = { records: scale.records, recordSize: scale.recordSize };
    if (runs("tools")) {
      const install = broker.local?.install ?? await provisionKafka({ log });
      measurements.push(...await measureKafkaTools(ctx, install, legs));
    }
    for (const runtime of runs("kafkajs") ? ["deno", "node"] as const : []) {
      const scale = { ...legs, batchSize: cfg.batchSize };
      for (const client of PLAIN_CLIENTS) {
        measurements.push(...await measurePlain(ctx, client, runtime, scale));
      }
    }

    // 3. Each stage alone, on one backlog of raw orders.
    if (runs("stages")) {
      await measureStages(
        ctx,
        { orders: scale.orders, failureRate: cfg.failureRate },
        measurements,
        notes,
      );
    }

    // 4. The whole pipeline.
    const e2e = runs("pipeline")
      ? await measurePipeline(ctx, {
        orders: scale.backlog,
        instances: scale.instances,
        latencyRate: scale.latencyRate,
        latencySeconds: scale.latencySeconds,
        brokerPid: broker.local?.pid,
      })
      : undefined;
    if (e2e) measurements.push(e2e.measurement);
    const pipeline = e2e?.pipeline ?? pipelineNotMeasured(scale.instances);
    const load = Deno.loadavg();
    notes.push(
      `load average at the end ${load.map((x) => x.toFixed(2)).join(" ")} on ` +
        `${navigator.hardwareConcurrency} cores: other work on the machine (test runs) skews figures`,
    );
    if (short) {
      notes.push("short mode: proves the bench works; its figures are not speeds to judge");
    }
    const report: BenchReport = {
      at: new Date().toISOString(),
      short,
      wallSeconds: (performance.now() - started) / 1000,
      machine: await machine(),
      broker: broker.kind,
      scale: {
        orders: scale.orders,
        backlog: scale.backlog,
        partitions: scale.partitions,
        instances: scale.instances,
        recordSize: scale.recordSize,
        latencyRate: scale.latencyRate,
        latencySeconds: scale.latencySeconds,
      },
      measurements,
      pipeline,
      ratios: computeRatios(measurements),
      targets: evaluateTargets(measurements, pipeline),
      notes,
    };
    console.log(`\n${renderReport(report)}\n\n${notes.map((n) => `- ${n}`).join("\n")}`);
    await Deno.mkdir(join(cfg.output, ".."), { recursive: true });
    await Deno.writeTextFile(cfg.output, JSON.stringify(report, null, 2));
    console.log(`\nwritten ${cfg.output} (${report.wallSeconds.toFixed(0)} s; logs in ${logDir})`);
    return 0;
  } catch (err) {
    log.error("bench failed", { error: err });
    return 1;
  } finally {
    await registry?.close().catch(() => {});
    await admin.close().catch(() => {});
    await broker.stop();
  }
}

if (import.meta.main) Deno.exit(await main());
