/**
 * The reference legs: Kafka's own perf tools (the limit), plain kafkajs
 * under Deno and under Node, and plain @platformatic/kafka the same way (is
 * kafkajs the limit?), all on records the size of a raw order.
 *
 * @example
 * ```ts
 * import { measureKafkaTools, measurePlain, PLAIN_CLIENTS } from "./legs.ts";
 * // const limit = await measureKafkaTools(ctx, install, { records: 50_000, recordSize: 400 });
 * // const deno = await measurePlain(ctx, PLAIN_CLIENTS[0], "deno", { records: 50_000, recordSize: 400, batchSize: 1000 });
 * ```
 * @module
 */
import { type KafkaInstall, kafkaTool } from "../broker/local_kafka.ts";
import { ensureTopics } from "../../kafka/topics.ts";
import { type BenchContext, benchTopic } from "./context.ts";
import type { Measurement } from "./report.ts";
import { parseConsumerPerf, parseProducerPerf } from "./tool_output.ts";

const MB = 1024 * 1024;

/** kafka-producer-perf-test, then kafka-consumer-perf-test on what it wrote. */
export async function measureKafkaTools(
  ctx: BenchContext,
  install: KafkaInstall,
  o: { records: number; recordSize: number },
): Promise<Measurement[]> {
  const topic = benchTopic(ctx.runId, "tool", ctx.partitions);
  await ensureTopics(ctx.admin, [topic]);
  const run = async (
    tool: "kafka-producer-perf-test" | "kafka-consumer-perf-test",
    args: string[],
  ) => {
    const t0 = performance.now();
    const out = await kafkaTool(install, tool, args, { stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      throw new Error(`${tool} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
    }
    return { text, seconds: (performance.now() - t0) / 1000 };
  };
  const bootstrap = ctx.brokers.join(",");
  const p = await run("kafka-producer-perf-test", [
    "--topic",
    topic.name,
    "--num-records",
    String(o.records),
    "--record-size",
    String(o.recordSize),
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${bootstrap}`,
    "acks=all",
    "enable.idempotence=true",
    // Batches as large as plain kafkajs sends: the tool is the limit, not its defaults.
    "linger.ms=10",
    "batch.size=262144",
  ]);
  const produced = parseProducerPerf(p.text);
  if (!produced) throw new Error(`kafka-producer-perf-test said nothing usable:\n${p.text}`);
  const c = await run("kafka-consumer-perf-test", [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic.name,
    "--num-records",
    String(o.records),
    "--group",
    `bench-${ctx.runId}-tool-reader`,
    "--timeout",
    "60000",
  ]);
  const consumed = parseConsumerPerf(c.text);
  if (!consumed) throw new Error(`kafka-consumer-perf-test said nothing usable:\n${c.text}`);
  return [
    {
      id: "tool.producer",
      section: "limit",
      name: "kafka-producer-perf-test (Java, acks=all, idempotent, 256 KB batches)",
      records: o.records,
      seconds: o.records / produced.recordsPerSec,
      ...produced,
      note: `${p.seconds.toFixed(1)} s with JVM start`,
    },
    {
      id: "tool.consumer",
      section: "limit",
      name: "kafka-consumer-perf-test (Java)",
      records: consumed.records,
      seconds: consumed.records / consumed.recordsPerSec,
      recordsPerSec: consumed.recordsPerSec,
      mbPerSec: consumed.mbPerSec,
      note: "fetch time, group join excluded",
    },
  ];
}

/** What bench/plain_kafkajs.mjs and bench/plain_platformatic.mjs print. */
interface PlainOutput {
  runtime: string;
  producer: { seconds: number; recordsPerSec: number };
  consumer: { seconds: number; recordsPerSec: number };
  cpuSeconds: number;
  peakRssMb?: number;
}

/** How much a plain client writes and reads, and in batches of how many. */
export interface PlainScale {
  records: number;
  recordSize: number;
  batchSize: number;
}

/** A plain client's script: where it is, its measurement ids' prefix, its name in the table. */
export interface PlainClient {
  script: string;
  id: string;
  label: string;
}

/** `client`'s script under `runtime` on a topic of its own: a producer then a consumer, one process. */
export async function measurePlain(
  ctx: BenchContext,
  client: PlainClient,
  runtime: "deno" | "node",
  o: PlainScale,
): Promise<Measurement[]> {
  const topic = benchTopic(ctx.runId, `${client.id}-${runtime}`, ctx.partitions);
  await ensureTopics(ctx.admin, [topic]);
  const { script } = client;
  const args = [
    "--brokers",
    ctx.brokers.join(","),
    "--topic",
    topic.name,
    "--records",
    String(o.records),
    "--record-size",
    String(o.recordSize),
    "--batch-size",
    String(o.batchSize),
  ];
  const out = await new Deno.Command(
    runtime === "deno" ? Deno.execPath() : "node",
    {
      args: runtime === "deno" ? ["run", "--allow-all", script, ...args] : [script, ...args],
      env: { KAFKAJS_NO_PARTITIONER_WARNING: "1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  let r: PlainOutput;
  try {
    r = JSON.parse(lines.at(-1) ?? "");
  } catch {
    throw new Error(
      `${script} under ${runtime} failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
  const label = runtime === "deno" ? "Deno" : "Node";
  const mb = (rate: number) => (rate * o.recordSize) / MB;
  return [
    {
      id: `${client.id}.${runtime}.producer`,
      section: "plain",
      name:
        `${client.label} producer under ${label} (batches of ${o.batchSize}, acks=all, idempotent)`,
      records: o.records,
      seconds: r.producer.seconds,
      recordsPerSec: r.producer.recordsPerSec,
      mbPerSec: mb(r.producer.recordsPerSec),
      note: r.runtime,
    },
    {
      id: `${client.id}.${runtime}.consumer`,
      section: "plain",
      name: `${client.label} consumer under ${label}`,
      records: o.records,
      seconds: r.consumer.seconds,
      recordsPerSec: r.consumer.recordsPerSec,
      mbPerSec: mb(r.consumer.recordsPerSec),
      cpuSeconds: r.cpuSeconds,
      peakRssMb: r.peakRssMb,
      note: "CPU and RSS: producer and consumer together",
    },
  ];
}

/**
 * The plain clients measured side by side: kafkajs (the product's client)
 * and @platformatic/kafka (to tell whether kafkajs is the limit).
 */
export const PLAIN_CLIENTS: readonly PlainClient[] = [
  { script: "bench/plain_kafkajs.mjs", id: "kafkajs", label: "kafkajs" },
  { script: "bench/plain_platformatic.mjs", id: "platformatic", label: "@platformatic/kafka" },
];
