/**
 * The benchmark's result, as written to build/bench.json: every measurement
 * by id, the end-to-end figures, the ratios between them and the targets of
 * the performance issue, each said met or not. Building ratios and judging
 * targets is pure; the runners fill in the measurements.
 *
 * @example
 * ```ts
 * import { computeRatios, type Measurement } from "./report.ts";
 * const m = (id: string, recordsPerSec: number): Measurement =>
 *   ({ id, section: "plain", name: id, records: 1, seconds: 1, recordsPerSec });
 * computeRatios([m("tool.producer", 100), m("kafkajs.deno.producer", 50)])[0].value; // 0.5
 * ```
 * @module
 */
import type { LatencySummary } from "./stats.ts";

/** Where a measurement belongs in the table. */
export type Section = "limit" | "plain" | "stage" | "pipeline";

/** One measured line of the table. */
export interface Measurement {
  /** Stable id, e.g. `tool.producer`, `kafkajs.node.consumer`, `stage.router.inventory`. */
  id: string;
  section: Section;
  name: string;
  /** Records (or orders) the rate is over. */
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec?: number;
  /** CPU seconds of the measured process(es) over the measured interval. */
  cpuSeconds?: number;
  /** Highest peak RSS (VmHWM) of the measured process(es), MB. */
  peakRssMb?: number;
  note?: string;
}

/** The whole pipeline, end to end. */
export interface PipelineResult {
  /** Orders drained from a backlog with every script running. */
  backlogOrders: number;
  seconds: number;
  ordersPerSec: number;
  /** CPU seconds of every script over the drain, per 10,000 orders (broker apart). */
  cpuSecondsPer10k: number;
  brokerCpuSecondsPer10k?: number;
  /** Peak RSS per script (the highest of its instances), MB, at the end of the drain. */
  peakRssMb: Record<string, number>;
  instances: number;
  /** Order creation to its line in the inventory database, at a steady offered rate. */
  latency: LatencySummary & { offeredRate: number; achievedRate: number; seconds: number };
}

/** A pipeline section that did not run: every figure "n/a". */
export function pipelineNotMeasured(instances: number): PipelineResult {
  const none = { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  return {
    backlogOrders: NaN,
    seconds: NaN,
    ordersPerSec: NaN,
    cpuSecondsPer10k: NaN,
    peakRssMb: {},
    instances,
    latency: { ...none, offeredRate: NaN, achievedRate: NaN, seconds: NaN },
  };
}

/** The parts of a run, in order; `--only` picks some. */
export const BENCH_SECTIONS = ["tools", "kafkajs", "stages", "pipeline"] as const;
export type BenchSection = typeof BENCH_SECTIONS[number];

export interface Ratio {
  id: string;
  name: string;
  value: number;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface BenchReport {
  at: string;
  short: boolean;
  wallSeconds: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memGb: number;
    os: string;
    deno: string;
    node?: string;
  };
  broker: string;
  scale: {
    orders: number;
    /** The end-to-end backlog. */
    backlog: number;
    partitions: number;
    instances: number;
    recordSize: number;
    latencyRate: number;
    latencySeconds: number;
  };
  measurements: Measurement[];
  pipeline: PipelineResult;
  ratios: Ratio[];
  targets: Target[];
  notes: string[];
}

/** The ratios the issue asks for: [id, name, numerator id, denominator id]. */
export const RATIO_DEFS: readonly (readonly [string, string, string, string])[] = [
  [
    "plain/tool.producer.deno",
    "kafkajs producer (Deno) / Kafka's producer tool",
    "kafkajs.deno.producer",
    "tool.producer",
  ],
  [
    "plain/tool.consumer.deno",
    "kafkajs consumer (Deno) / Kafka's consumer tool",
    "kafkajs.deno.consumer",
    "tool.consumer",
  ],
  [
    "plain/tool.producer.node",
    "kafkajs producer (Node) / Kafka's producer tool",
    "kafkajs.node.producer",
    "tool.producer",
  ],
  [
    "plain/tool.consumer.node",
    "kafkajs consumer (Node) / Kafka's consumer tool",
    "kafkajs.node.consumer",
    "tool.consumer",
  ],
  [
    "platformatic/kafkajs.producer.deno",
    "@platformatic/kafka producer (Deno) / kafkajs producer (Deno)",
    "platformatic.deno.producer",
    "kafkajs.deno.producer",
  ],
  [
    "platformatic/kafkajs.consumer.deno",
    "@platformatic/kafka consumer (Deno) / kafkajs consumer (Deno)",
    "platformatic.deno.consumer",
    "kafkajs.deno.consumer",
  ],
  [
    "platformatic/kafkajs.producer.node",
    "@platformatic/kafka producer (Node) / kafkajs producer (Node)",
    "platformatic.node.producer",
    "kafkajs.node.producer",
  ],
  [
    "platformatic/kafkajs.consumer.node",
    "@platformatic/kafka consumer (Node) / kafkajs consumer (Node)",
    "platformatic.node.consumer",
    "kafkajs.node.consumer",
  ],
  [
    "deno/node.producer",
    "kafkajs producer: Deno / Node",
    "kafkajs.deno.producer",
    "kafkajs.node.producer",
  ],
  [
    "deno/node.consumer",
    "kafkajs consumer: Deno / Node",
    "kafkajs.deno.consumer",
    "kafkajs.node.consumer",
  ],
  [
    "stage/plain.router.inventory",
    "inventory routing (EOS) / kafkajs producer",
    "stage.router.inventory",
    "kafkajs.deno.producer",
  ],
  [
    "stage/plain.router.delivery",
    "delivery routing (EOS) / kafkajs producer",
    "stage.router.delivery",
    "kafkajs.deno.producer",
  ],
  [
    "stage/stage.router.failures",
    "inventory routing, 10% failing / no failures",
    "stage.router.inventory.failures",
    "stage.router.inventory",
  ],
  [
    "stage/plain.consumer.inventory.sqlite",
    "inventory consumer, SQLite / kafkajs consumer",
    "stage.consumer.inventory.sqlite",
    "kafkajs.deno.consumer",
  ],
  [
    "stage/plain.consumer.inventory.postgres",
    "inventory consumer, PostgreSQL / kafkajs consumer",
    "stage.consumer.inventory.postgres",
    "kafkajs.deno.consumer",
  ],
  [
    "stage/plain.consumer.delivery.sqlite",
    "delivery consumer, SQLite / kafkajs consumer",
    "stage.consumer.delivery.sqlite",
    "kafkajs.deno.consumer",
  ],
  [
    "stage/plain.consumer.delivery.postgres",
    "delivery consumer, PostgreSQL / kafkajs consumer",
    "stage.consumer.delivery.postgres",
    "kafkajs.deno.consumer",
  ],
  [
    "stage/plain.aggregator",
    "aggregator / kafkajs consumer",
    "stage.aggregator",
    "kafkajs.deno.consumer",
  ],
  [
    "pipeline/plain",
    "whole pipeline / kafkajs producer",
    "pipeline.backlog",
    "kafkajs.deno.producer",
  ],
];

/** Every ratio of {@linkcode RATIO_DEFS} whose two measurements exist. */
export function computeRatios(measurements: readonly Measurement[]): Ratio[] {
  const rate = new Map(measurements.map((m) => [m.id, m.recordsPerSec]));
  return RATIO_DEFS.flatMap(([id, name, num, den]) => {
    const a = rate.get(num), b = rate.get(den);
    return a !== undefined && b ? [{ id, name, value: a / b }] : [];
  });
}

/**
 * The targets, as the Kafka-client issue set them (routing against the
 * plain @platformatic/kafka producer, the pipeline, latency, memory, the
 * PostgreSQL consumers), and the failure share from before it.
 */
export const TARGETS = {
  routingShareOfPlain: 0.6,
  pipelineOrdersPerSec: 20_000,
  p99Ms: 100,
  p99AtRate: 1000,
  failureShare: 0.9,
  rssMb: 150,
  postgresRecordsPerSec: 15_000,
} as const;

const fmt = (n: number, digits = 0) => Number.isFinite(n) ? n.toFixed(digits) : "n/a";

/** Judges each target from the measurements and the pipeline's figures. */
export function evaluateTargets(
  measurements: readonly Measurement[],
  pipeline: PipelineResult,
): Target[] {
  const rate = (id: string) => measurements.find((m) => m.id === id)?.recordsPerSec ?? NaN;
  const plain = rate("platformatic.deno.producer");
  const routing = Math.min(rate("stage.router.inventory"), rate("stage.router.delivery"));
  const failing = rate("stage.router.inventory.failures") / rate("stage.router.inventory");
  const [worstScript, worstRss] = Object.entries(pipeline.peakRssMb)
    .sort((a, b) => b[1] - a[1])[0] ?? ["none", NaN];
  const lat = pipeline.latency;
  const postgres = Math.min(
    rate("stage.consumer.inventory.postgres"),
    rate("stage.consumer.delivery.postgres"),
  );
  return [
    {
      name: "routing with exactly-once vs the plain @platformatic/kafka producer",
      goal: `≥ ${TARGETS.routingShareOfPlain * 100}%`,
      measured: `${fmt((routing / plain) * 100)}% (${fmt(routing)} vs ${fmt(plain)} records/s)`,
      met: routing / plain >= TARGETS.routingShareOfPlain,
    },
    {
      name: "whole pipeline, sustained",
      goal: `≥ ${TARGETS.pipelineOrdersPerSec} orders/s`,
      measured: `${fmt(pipeline.ordersPerSec)} orders/s`,
      met: pipeline.ordersPerSec >= TARGETS.pipelineOrdersPerSec,
    },
    {
      name: `p99 end-to-end latency at ${TARGETS.p99AtRate} orders/s`,
      goal: `≤ ${TARGETS.p99Ms} ms`,
      measured: `${fmt(lat.p99)} ms at ${fmt(lat.achievedRate)} orders/s offered ${
        fmt(lat.offeredRate)
      }`,
      met: lat.p99 <= TARGETS.p99Ms && lat.offeredRate >= TARGETS.p99AtRate &&
        lat.achievedRate >= 0.95 * TARGETS.p99AtRate,
    },
    {
      name: "main-topic routing with 10% of records failing vs none",
      goal: `≥ ${TARGETS.failureShare * 100}%`,
      measured: `${fmt(failing * 100)}%`,
      met: failing >= TARGETS.failureShare,
    },
    {
      name: "peak RSS of every script while draining a backlog",
      goal: `≤ ${TARGETS.rssMb} MB`,
      measured: `highest ${
        fmt(worstRss)
      } MB (${worstScript}) over ${pipeline.backlogOrders} orders`,
      met: worstRss <= TARGETS.rssMb,
    },
    {
      name: "PostgreSQL data consumers, the slower of the two",
      goal: `≥ ${TARGETS.postgresRecordsPerSec} records/s`,
      measured: `${fmt(postgres)} records/s`,
      met: postgres >= TARGETS.postgresRecordsPerSec,
    },
  ];
}
