/**
 * `deno task bench`: throughput on one broker, in one run, as ratios.
 *
 * Today it measures the baseline every later stage will be compared with:
 * Kafka's own producer perf tool (the limit) against a plain, batched,
 * idempotent kafkajs producer with acks=all, same record size and count.
 * The pipeline's stages join this table with the performance issue.
 *
 *   deno run --allow-all scripts/bench.ts [--records 200000] [--record-size 200]
 *
 * Prints a table and writes build/bench.json.
 * @module
 */
import { defineConfig } from "../shared/config.ts";
import { createKafka } from "../shared/kafka.ts";
import { createLogger } from "../shared/log.ts";
import { provideBroker } from "../shared/broker/provide.ts";
import { waitUntilReady } from "../shared/broker/ready.ts";
import { kafkaTool, provisionKafka } from "../shared/broker/local_kafka.ts";
import { ensureTopics, renamed, TOPICS } from "../shared/topics.ts";

const config = defineConfig({
  name: "bench",
  summary: "producer throughput: Kafka's perf tool against plain kafkajs on one broker",
  flags: {
    records: {
      type: "number",
      integer: true,
      min: 1000,
      default: 200_000,
      env: "BENCH_RECORDS",
      description: "records per measurement",
    },
    recordSize: {
      type: "number",
      integer: true,
      min: 10,
      default: 200,
      env: "BENCH_RECORD_SIZE",
      description: "bytes per record (about one Avro-encoded order)",
    },
    batchSize: {
      type: "number",
      integer: true,
      min: 1,
      default: 1000,
      description: "kafkajs: records per send() call",
    },
    short: {
      type: "boolean",
      env: "BENCH_SHORT",
      description: "a quick run that only proves the bench works",
    },
  },
});

/** One measured line of the table. */
export interface BenchResult {
  name: string;
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

/** Parses the summary line of kafka-producer-perf-test. Pure. */
export function parseProducerPerf(
  output: string,
): { recordsPerSec: number; mbPerSec: number } | undefined {
  const lines = output.trim().split("\n").filter((l) => l.includes("records sent"));
  const m = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(lines.at(-1) ?? "");
  return m ? { recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]) } : undefined;
}

async function main(): Promise<number> {
  const cfg = config.load();
  const records = cfg.short ? 20_000 : cfg.records;
  const log = createLogger({ name: "bench" });
  const broker = await provideBroker({ log });
  try {
    const quiet = createLogger({ name: "bench", level: "error" });
    const kafka = createKafka({ brokers: broker.brokers, clientId: "bench" }, quiet);
    await waitUntilReady(kafka, log);
    const install = broker.local?.install ?? await provisionKafka({ log });
    const admin = kafka.admin();
    await admin.connect();
    const topicFor = (what: string) => renamed(TOPICS.orders, `bench-${what}-${Date.now()}`);
    const toolTopic = topicFor("tool"), jsTopic = topicFor("kafkajs");
    await ensureTopics(admin, [toolTopic, jsTopic]);
    await admin.disconnect();
    const results: BenchResult[] = [];

    log.info("measuring kafka-producer-perf-test", { records, recordSize: cfg.recordSize });
    const started = performance.now();
    const out = await kafkaTool(install, "kafka-producer-perf-test", [
      "--topic",
      toolTopic.name,
      "--num-records",
      String(records),
      "--record-size",
      String(cfg.recordSize),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${broker.brokers.join(",")}`,
      "acks=all",
      "enable.idempotence=true",
    ], { stdout: "piped", stderr: "piped" }).output();
    const perf = parseProducerPerf(new TextDecoder().decode(out.stdout));
    if (!out.success || !perf) {
      log.error("kafka-producer-perf-test failed", {
        stderr: new TextDecoder().decode(out.stderr),
      });
      return 1;
    }
    results.push({
      name: "kafka-producer-perf-test (Java)",
      records,
      seconds: (performance.now() - started) / 1000,
      ...perf,
    });

    log.info("measuring plain kafkajs", { records, batchSize: cfg.batchSize });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const value = Buffer.alloc(cfg.recordSize, 120);
    const t0 = performance.now();
    for (let sent = 0; sent < records; sent += cfg.batchSize) {
      const n = Math.min(cfg.batchSize, records - sent);
      await producer.send({
        topic: jsTopic.name,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({ key: String(sent + i), value })),
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    await producer.disconnect();
    results.push({
      name: "plain kafkajs producer (Deno)",
      records,
      seconds,
      recordsPerSec: records / seconds,
      mbPerSec: records * cfg.recordSize / seconds / 1024 / 1024,
    });

    console.log("\n| measurement | records/s | MB/s | ratio to Kafka's tool |");
    console.log("|---|---:|---:|---:|");
    for (const r of results) {
      const ratio = r.recordsPerSec / results[0].recordsPerSec;
      console.log(
        `| ${r.name} | ${Math.round(r.recordsPerSec)} | ${r.mbPerSec.toFixed(2)} | ${
          ratio.toFixed(2)
        } |`,
      );
    }
    await Deno.mkdir("build", { recursive: true });
    await Deno.writeTextFile(
      "build/bench.json",
      JSON.stringify({ at: new Date().toISOString(), broker: broker.kind, results }, null, 2),
    );
    console.log("\nwritten build/bench.json");
    return 0;
  } finally {
    await broker.stop();
  }
}

if (import.meta.main) Deno.exit(await main());
