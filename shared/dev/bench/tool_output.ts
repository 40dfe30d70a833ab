/**
 * Parsers for the summaries Kafka's perf tools print. Pure.
 *
 * @example
 * ```ts
 * import { parseProducerPerf } from "./tool_output.ts";
 * parseProducerPerf("1000 records sent, 5000.0 records/sec (1.91 MB/sec), 3.1 ms avg latency");
 * // { recordsPerSec: 5000, mbPerSec: 1.91 }
 * ```
 * @module
 */

/** A tool's throughput. */
export interface ToolRate {
  recordsPerSec: number;
  mbPerSec: number;
}

/** The last summary line of kafka-producer-perf-test. */
export function parseProducerPerf(output: string): ToolRate | undefined {
  const lines = output.trim().split("\n").filter((l) => l.includes("records sent"));
  const m = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(lines.at(-1) ?? "");
  return m ? { recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]) } : undefined;
}

/**
 * kafka-consumer-perf-test's CSV (header, then one row). The fetch figures
 * leave out the group join, as the plain kafkajs consumer's figures do.
 */
export function parseConsumerPerf(output: string): ToolRate & { records: number } | undefined {
  const lines = output.trim().split("\n").map((l) => l.trim()).filter(Boolean);
  const headerAt = lines.findIndex((l) => l.includes("fetch.nMsg.sec"));
  if (headerAt < 0 || headerAt + 1 >= lines.length) return undefined;
  const header = lines[headerAt].split(",").map((s) => s.trim());
  const row = lines[headerAt + 1].split(",").map((s) => s.trim());
  const get = (name: string) => Number(row[header.indexOf(name)]);
  const out = {
    records: get("data.consumed.in.nMsg"),
    recordsPerSec: get("fetch.nMsg.sec"),
    mbPerSec: get("fetch.MB.sec"),
  };
  return Object.values(out).every(Number.isFinite) ? out : undefined;
}
