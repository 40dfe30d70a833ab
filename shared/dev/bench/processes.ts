/**
 * The pipeline's scripts as measured processes: each started by pid under
 * its catalog permissions (shared/dev/supervisor.ts) with its metrics on a free
 * port, sampled for CPU and peak RSS from /proc, and waited on through its
 * counters or its group's committed offsets.
 *
 * @example
 * ```ts
 * import { startBenchScript } from "./processes.ts";
 * // const p = await startBenchScript({ entry: "scripts/aggregator.ts", args: [...], logDir: "build/bench/logs" });
 * // await p.counter("aggregator_records_total"); await p.stop();
 * ```
 * @module
 */
import { committedOffsets } from "../../kafka/admin.ts";
import type { KafkaAdmin } from "../../kafka/client.ts";
import { freePort } from "../broker/local_kafka.ts";
import { scrapeCounter, startProcess, type SupervisedProcess } from "../supervisor.ts";
import { type ProcessSample, sampleProcess } from "./proc.ts";

/** What to start: a catalog entry and its arguments (metrics port added). */
export interface ScriptSpec {
  entry: string;
  args: string[];
  env?: Record<string, string>;
}

/** A started script with its metrics URL. */
export interface BenchProcess extends SupervisedProcess {
  readonly metricsUrl: string;
  /** Set once the process has exited. */
  readonly exitedEarly: () => Deno.CommandStatus | undefined;
  /** A counter's (or gauge's) total on its /metrics, 0 when not there yet. */
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  sample(): ProcessSample | undefined;
  /** The last lines of its log, for failures. */
  tail(lines?: number): Promise<string>;
}

/** Starts a script with `--metrics-port` on a free port; output in `logDir`. */
export async function startBenchScript(
  spec: ScriptSpec & { logDir: string },
): Promise<BenchProcess> {
  const port = freePort();
  const p = await startProcess({
    entry: spec.entry,
    args: [...spec.args, "--metrics-port", String(port), "--metrics-host", "127.0.0.1"],
    logDir: spec.logDir,
    env: spec.env,
  });
  let status: Deno.CommandStatus | undefined;
  p.exited.then((s) => status = s);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  return {
    ...p,
    metricsUrl,
    exitedEarly: () => status,
    counter: async (name, labels) => (await scrapeCounter(metricsUrl, name, labels)) ?? 0,
    sample: () => sampleProcess(p.pid),
    tail: async (lines = 30) =>
      (await Deno.readTextFile(p.logFile).catch(() => "")).split("\n").slice(-lines).join("\n"),
  };
}

/** Sum of a counter over processes. */
export async function counterSum(
  procs: readonly BenchProcess[],
  name: string,
  labels?: Record<string, string>,
): Promise<number> {
  return (await Promise.all(procs.map((p) => p.counter(name, labels)))).reduce((a, b) => a + b, 0);
}

/** Committed offsets of `groupId` on `topic`, summed over partitions. */
export async function committedTotal(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<number> {
  const offsets = await committedOffsets(admin, groupId, topic);
  return [...offsets.values()].reduce((n, offset) => n + offset, 0);
}

/** CPU seconds and the highest peak RSS over processes. */
export function sampleAll(procs: readonly BenchProcess[]): Map<number, ProcessSample> {
  const out = new Map<number, ProcessSample>();
  for (const p of procs) {
    const s = p.sample();
    if (s) out.set(p.pid, s);
  }
  return out;
}

/** CPU spent between two samples of the same processes. */
export function cpuBetween(
  before: Map<number, ProcessSample>,
  after: Map<number, ProcessSample>,
): number {
  let total = 0;
  for (const [pid, s] of after) total += s.cpuSeconds - (before.get(pid)?.cpuSeconds ?? 0);
  return total;
}

/**
 * Polls `check` every `intervalMs` until it is true. Fails when a process
 * exits, or when `progress` has not moved for `stallMs`, with the logs'
 * tails in the message.
 */
export async function waitUntil(what: string, options: {
  check: () => Promise<boolean>;
  procs: readonly BenchProcess[];
  progress?: () => Promise<number>;
  stallMs?: number;
  intervalMs?: number;
}): Promise<void> {
  const stallMs = options.stallMs ?? 120_000;
  let last = -1, lastMoved = performance.now();
  while (true) {
    if (await options.check()) return;
    const dead = options.procs.find((p) => p.exitedEarly());
    if (dead) {
      throw new Error(`${dead.name} exited while waiting for ${what}:\n${await dead.tail()}`);
    }
    if (options.progress) {
      const now = await options.progress();
      if (now !== last) [last, lastMoved] = [now, performance.now()];
    }
    if (performance.now() - lastMoved > stallMs) {
      const tails = await Promise.all(
        options.procs.map(async (p) => `${p.name}:\n${await p.tail(10)}`),
      );
      throw new Error(
        `no progress for ${stallMs / 1000} s waiting for ${what}\n${tails.join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

/** Stops every process (SIGTERM, SIGKILL after the grace period). */
export async function stopAll(procs: readonly BenchProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(procs.map((p) => p.stop(graceMs)));
}
