/**
 * What the plain-client benchmarks share (bench/plain_kafkajs.mjs and
 * bench/plain_platformatic.mjs, each run under Node and under Deno): their
 * flags, and the one JSON line they print, so that only the client differs.
 *
 * @example
 * ```js
 * import { plainArgs, printResult } from "./plain_common.mjs";
 * const { topic, records, recordSize, batchSize, brokers } = plainArgs();
 * // ... produce, then consume, timing each ...
 * printResult({ records, recordSize, producerSeconds: 1.2, consumerSeconds: 0.4 });
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";

/** The flags: `--brokers`, `--topic` (required), `--records`, `--record-size`, `--batch-size`. */
export function plainArgs() {
  const { values } = parseArgs({
    options: {
      brokers: { type: "string", default: "127.0.0.1:9092" },
      topic: { type: "string" },
      records: { type: "string", default: "20000" },
      "record-size": { type: "string", default: "400" },
      "batch-size": { type: "string", default: "1000" },
    },
  });
  if (!values.topic) {
    console.error("--topic is required");
    process.exit(2);
  }
  return {
    brokers: values.brokers.split(","),
    topic: values.topic,
    records: Number(values.records),
    recordSize: Number(values["record-size"]),
    batchSize: Number(values["batch-size"]),
  };
}

/** Peak resident set size of this process in MB, from /proc (Linux). */
function peakRssMb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : undefined;
}

/** Prints the one JSON line the bench reads (rates, this process's CPU and peak RSS) and exits. */
export function printResult({ records, recordSize, producerSeconds, consumerSeconds }) {
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({
    runtime: typeof Deno === "undefined" ? `node ${process.version}` : `deno ${Deno.version.deno}`,
    records,
    recordSize,
    producer: { seconds: producerSeconds, recordsPerSec: records / producerSeconds },
    consumer: { seconds: consumerSeconds, recordsPerSec: records / consumerSeconds },
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: peakRssMb(),
  }));
  process.exit(0);
}
