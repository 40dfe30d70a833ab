/**
 * Helpers for tests that run the pipeline's scripts as real processes on
 * the real broker: per-test topics and registry, raw orders in, scripts
 * started (and killed) by pid, and complete read_committed reads of outputs.
 * @module
 */
import assert from "node:assert/strict";
import { runScript, scriptDenoCommand } from "./run_script.ts";
import { registryClient } from "../shared/kafka/avro_codec.ts";
import { DEFAULT_CATALOG } from "../shared/orders/catalog.ts";
import { createOrderGenerator } from "../shared/orders/generate.ts";
import { consumerLag } from "../shared/kafka/lag.ts";
import { type RegistryServerOptions, startRegistry } from "../shared/registry/server.ts";
import type { RegistryConnection } from "../shared/kafka/registry_connection.ts";
import { SHUTDOWN_GRACE_MS } from "../shared/platform/shutdown.ts";
import { ensureTopicsAt, renamed, TOPICS, type TopicSpec } from "../shared/kafka/topics.ts";
import { committedOffsets, partitionCount } from "../shared/kafka/admin.ts";
import { integration, testBrokers, testKafka, testLogger, uniqueName, waitFor } from "./harness.ts";
import {
  kafkaToolsClasspath,
  produceMessages,
  readAllCommitted,
  type TestKafka,
  type TestMessage,
  type TestRecord,
} from "./test_kafka.ts";
import { testAdmin, testConnection } from "./harness.ts";
import { processAlive, within } from "./harness.ts";
import { kafkaTool, type KafkaToolName } from "../shared/dev/broker/local_kafka.ts";
import type { ScriptRun } from "./run_script.ts";

/** Scripts run to their end: tests/run_script.ts, re-exported for the pipeline tests. */
export { runScript, type ScriptRun } from "./run_script.ts";
/** The tests' own Kafka I/O: tests/test_kafka.ts, re-exported for the pipeline tests. */
export {
  consumeRecords,
  kafkaToolsClasspath,
  produceMessages,
  readAllCommitted,
  type TestKafka,
  type TestMessage,
  type TestRecord,
  transactionalProducer,
} from "./test_kafka.ts";

/** The repository root: scripts run from there, as their entry paths are relative to it. */

/** A per-test copy of every pipeline topic, and a registry on its own store. */
export interface TestPipeline {
  topics: {
    orders: TopicSpec;
    inventoryOrders: TopicSpec;
    deliveryOrders: TopicSpec;
    ordersDlq: TopicSpec;
  };
  registryUrl: string;
  /** Stops the registry (to test outages); `startRegistry` brings it back on the same URL. */
  stopRegistry(): Promise<void>;
  startRegistry(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Per-test topics and a registry; `registry` secures it (basic auth users,
 * TLS), and `registryUrl` then says https.
 */
export async function startTestPipeline(
  name: string,
  registry: Pick<RegistryServerOptions, "users" | "tls"> = {},
): Promise<TestPipeline> {
  const topics = {
    orders: renamed(TOPICS.orders, uniqueName(`${name}-orders`)),
    inventoryOrders: renamed(TOPICS.inventoryOrders, uniqueName(`${name}-inventory`)),
    deliveryOrders: renamed(TOPICS.deliveryOrders, uniqueName(`${name}-delivery`)),
    ordersDlq: renamed(TOPICS.ordersDlq, uniqueName(`${name}-dlq`)),
  };
  await createTopics(Object.values(topics));
  const options = {
    connection: testConnection("registry"),
    topic: uniqueName("_schemas"),
    log: testLogger("registry"),
    ...registry,
  };
  let running: Awaited<ReturnType<typeof startRegistry>> | undefined = await startRegistry({
    ...options,
    port: 0,
  });
  const url = running.url;
  const port = Number(new URL(url).port);
  return {
    topics,
    registryUrl: url,
    stopRegistry: async () => {
      await running?.close();
      running = undefined;
    },
    startRegistry: async () => {
      running ??= await startRegistry({ ...options, port });
    },
    close: async () => {
      await running?.close();
      running = undefined;
    },
  };
}

/** What a {@linkcode pipelineTest} body gets: the broker, its own pipeline, the test context. */
export interface PipelineTestContext {
  kafka: TestKafka;
  pipeline: TestPipeline;
  t: Deno.TestContext;
}

/**
 * Declares an integration test that runs `body` on its own test pipeline
 * (topics and registry named after `name`) and closes the pipeline after it,
 * whether it passed or not.
 *
 * @example
 * ```ts ignore
 * pipelineTest("routes an order", "route", async ({ kafka, pipeline }) => {
 *   await produceRaw(kafka, pipeline.topics.orders.name, rawOrders(1, options));
 * });
 * ```
 */
export function pipelineTest(
  description: string,
  name: string,
  body: (context: PipelineTestContext) => Promise<void>,
): void {
  Deno.test(description, integration, async (t) => {
    const kafka = testKafka();
    const pipeline = await startTestPipeline(name);
    try {
      await body({ kafka, pipeline, t });
    } finally {
      await pipeline.close();
    }
  });
}

/** Creates `specs` on this run's broker, where they do not exist yet. */
export async function createTopics(specs: TopicSpec[]): Promise<void> {
  await ensureTopicsAt(testConnection("test-topics"), specs);
}

/** Produces raw values (already JSON text, or any bytes) keyed as given. */
export async function produceRaw(
  kafka: TestKafka,
  topic: string,
  records: { key: string; value: string }[],
): Promise<void> {
  await produceMessages(kafka, topic, records);
}

/** A script started as its own process, with its output kept for failures. */
export interface ScriptProcess {
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  /** Everything it wrote to stderr so far. */
  output(): string;
  kill(signal?: Deno.Signal): void;
}

/**
 * Starts `entry` (relative to the repository root) with `args`, by pid, under
 * the narrow permission flags scripts/services.ts declares for it: every test
 * run proves those flags are enough.
 */
export function startScript(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
): ScriptProcess {
  const child = scriptDenoCommand(entry, args, env).spawn();
  let text = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  return {
    pid: child.pid,
    status: child.status.then(async (s) => {
      await drained;
      return s;
    }),
    output: () => text,
    kill(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already exited */ }
    },
  };
}

/**
 * The command that runs `entry` with `args` under its catalog permissions,
 * from the repository root, without colours; stdout and stderr piped.
 */
/** The flags that point a script at this run's broker and at `topic`. */
export function brokerAndTopic(topic: string): string[] {
  return ["--brokers", testBrokers().join(","), "--topic", topic];
}

/**
 * Runs the order generator at full speed, without progress lines: `count`
 * orders from `seed` to `topic`, then `extra`. Checks it exits 0 and returns
 * the totals it prints, and what it logged.
 */
export async function runGenerator(
  topic: string,
  { count, seed }: { count: number; seed: number },
  extra: string[] = [],
  // deno-lint-ignore no-explicit-any
): Promise<{ totals: Record<string, any>; log: string }> {
  const run = await runScript("scripts/order_generator.ts", [
    ...brokerAndTopic(topic),
    "--count",
    String(count),
    "--rate",
    "0",
    "--seed",
    String(seed),
    "--progress-interval",
    "0",
    ...extra,
  ]);
  assert.equal(run.code, 0, run.stderr);
  return { totals: JSON.parse(run.stdout.trim()), log: run.stderr };
}

/** The entry file of each routing producer, by the route it serves. */
export const ROUTING_PRODUCERS = {
  inventory: "producers/inventory_orders_producer.ts",
  delivery: "producers/delivery_orders_producer.ts",
} as const;

/**
 * Starts the `target` routing producer on a test pipeline, with
 * {@linkcode routerArgs} and `extra` after them.
 *
 * @example
 * ```ts ignore
 * const proc = startRouter(pipeline, "inventory", ["--retry-attempts", "0"]);
 * await stopped(proc);
 * ```
 */
export function startRouter(
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
  extra: string[] = [],
): ScriptProcess {
  return startScript(ROUTING_PRODUCERS[target], routerArgs(pipeline, target, extra));
}

/** The consumer group of the `target` routing producer on a test pipeline. */
export function routerGroup(pipeline: TestPipeline, target: "inventory" | "delivery"): string {
  return `${pipeline.topics.orders.name}-${target}`;
}

/** The topic the `target` routing producer writes on a test pipeline. */
export function routerTopic(pipeline: TestPipeline, target: "inventory" | "delivery"): string {
  const t = pipeline.topics;
  return target === "inventory" ? t.inventoryOrders.name : t.deliveryOrders.name;
}

/** Every committed record the `target` routing producer wrote, decoded. */
export async function readRouted(
  kafka: TestKafka,
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
) {
  return await readDecoded(kafka, pipeline.registryUrl, routerTopic(pipeline, target));
}

/** How many raw orders the `target` routing producer has committed. */
export function routerCommitted(
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
): Promise<number> {
  return committedCount(routerGroup(pipeline, target), pipeline.topics.orders.name);
}

/** Whether the `target` routing producer has committed every raw order. */
export function routerCaughtUp(
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
): Promise<boolean> {
  return caughtUp(routerGroup(pipeline, target), pipeline.topics.orders.name);
}

/** The routing producer's arguments for a test pipeline. */
export function routerArgs(
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
  extra: string[] = [],
): string[] {
  const t = pipeline.topics;
  return [
    "--brokers",
    testBrokers().join(","),
    "--registry-url",
    pipeline.registryUrl,
    "--source-topic",
    t.orders.name,
    "--target-topic",
    routerTopic(pipeline, target),
    "--dlq-topic",
    t.ordersDlq.name,
    "--group-id",
    routerGroup(pipeline, target),
    "--metrics-port",
    "0",
    "--progress-interval",
    "0",
    "--log-level",
    "info",
    // A killed member's partitions move on after 6 s instead of 30 s.
    "--session-timeout-ms",
    "6000",
    ...extra,
  ];
}

/** Committed offsets of `groupId` on `topic`, summed over partitions. */
export async function committedCount(groupId: string, topic: string): Promise<number> {
  const admin = testAdmin("test-offsets");
  try {
    const offsets = await committedOffsets(admin, groupId, topic);
    return [...offsets.values()].reduce((n, offset) => n + offset, 0);
  } finally {
    await admin.close();
  }
}

/** Whether `groupId` has committed every record of `topic` (its lag is zero). */
export async function caughtUp(groupId: string, topic: string): Promise<boolean> {
  const admin = testAdmin("test-lag");
  try {
    return (await consumerLag(admin, groupId, topic)).every((p) => p.lag === 0);
  } finally {
    await admin.close();
  }
}

/** Raw records from the generator, plus whatever extra values a test adds. */
export function rawOrders(
  count: number,
  options: { seed: number; invalidRate: number; mix: Record<string, number> },
) {
  const generator = createOrderGenerator({
    seed: options.seed,
    mix: options.mix,
    catalog: DEFAULT_CATALOG,
    invalidRate: options.invalidRate,
  });
  return Array.from({ length: count }, () => {
    const order = generator.next();
    return { key: order.orderId, value: JSON.stringify(order) };
  });
}

/**
 * Produces {@linkcode rawOrders} to the pipeline's raw orders topic and
 * returns them.
 */
export async function produceOrders(
  kafka: TestKafka,
  pipeline: TestPipeline,
  count: number,
  options: Parameters<typeof rawOrders>[1],
): Promise<ReturnType<typeof rawOrders>> {
  const records = rawOrders(count, options);
  await produceRaw(kafka, pipeline.topics.orders.name, records);
  return records;
}

/** Decodes Avro records through the registry at `url` (or the connection given). */
export async function decodeAll(url: string | RegistryConnection, messages: TestRecord[]) {
  const registry = registryClient(typeof url === "string" ? { url } : url);
  return await Promise.all(
    messages.map(async (m) => ({
      key: m.key!.toString(),
      timestamp: m.timestamp,
      value: await registry.decode(m.value!) as Record<string, unknown>,
    })),
  );
}

/**
 * Every committed record of `topic` ({@linkcode readAllCommitted}), decoded
 * through the registry at `registry` ({@linkcode decodeAll}).
 */
export async function readDecoded(
  kafka: TestKafka,
  registry: string | RegistryConnection,
  topic: string,
) {
  return await decodeAll(registry, await readAllCommitted(kafka, topic));
}

/**
 * Waits until `progress` returns a count above zero, then SIGKILLs `proc`
 * without warning and checks that the signal ended it; returns the count. If
 * the wait times out, `proc` is killed too and the error carries its output.
 *
 * @example
 * ```ts ignore
 * before = await killAfterProgress(proc, async () => {
 *   const n = await committedCount(group, topic);
 *   return n >= before + 250 ? n : 0;
 * });
 * ```
 */
export async function killAfterProgress(
  proc: ScriptProcess,
  progress: () => Promise<number>,
  { timeoutMs = 90_000 } = {},
): Promise<number> {
  const progressed = await waitFor("progress before the kill", progress, {
    timeoutMs,
    intervalMs: 50,
  }).catch((err) => {
    proc.kill("SIGKILL");
    throw new Error(`${err}\n${proc.output().slice(-3000)}`);
  });
  proc.kill("SIGKILL");
  assert.equal((await proc.status).signal, "SIGKILL");
  return progressed;
}

/**
 * Runs `fn`; if it throws, the error carries the end of each named
 * process's output, so that a failed wait says what the scripts said.
 *
 * @example
 * ```ts ignore
 * await explained({ consumer }, () => waitFor("the consumer to finish", done));
 * ```
 */
export async function explained<T>(
  processes: Record<string, { output(): string }>,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const outputs = Object.entries(processes).map(([name, p]) =>
      `--- ${name}:\n${p.output().slice(-3000)}`
    );
    throw new Error(`${err}\n${outputs.join("\n")}`);
  }
}

/** Stops a script with SIGTERM and checks it exits cleanly. */
export async function stopped(proc: ReturnType<typeof startScript>): Promise<void> {
  // A script told to stop before it has set up its signal handler dies of
  // the signal (143) with nothing said: one started after the work was
  // already done is stopped at once. Scripts set the handler up before
  // their first line, so wait for that line (or for the exit).
  let ended = false;
  proc.status.then(() => ended = true, () => ended = true);
  await waitFor("its first line before it is stopped", () => ended || proc.output() !== "", {
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  proc.kill("SIGTERM");
  const status = await exited(proc);
  assert.equal(status.code, 0, `clean exit expected:\n${proc.output().slice(-3000)}`);
}

/**
 * The exit status of `proc`, which has been told to stop. A script exits by
 * itself within its shutdown grace period (SHUTDOWN_GRACE_MS); one that has
 * not after `timeoutMs` is SIGKILLed and the test fails with its output, so
 * that no test waits forever on a process.
 */
export async function exited(
  proc: ScriptProcess,
  timeoutMs = SHUTDOWN_GRACE_MS + 30_000,
): Promise<Deno.CommandStatus> {
  const settled = await within(proc.status, timeoutMs);
  if (settled) return settled.value;
  proc.kill("SIGKILL");
  await proc.status;
  throw new Error(
    `pid ${proc.pid} had not exited ${timeoutMs / 1000} s after it was told to stop:\n` +
      proc.output().slice(-3000),
  );
}

/**
 * Flags for a service under test: metrics on a free port, no progress
 * lines, and a 6 s session timeout, so that a killed member's partitions
 * move on soon.
 */
export const SERVICE_TEST_FLAGS: readonly string[] = [
  "--metrics-port",
  "0",
  "--progress-interval",
  "0",
  "--session-timeout-ms",
  "6000",
];

/**
 * The aggregator's arguments for a test whose topics are `<prefix>-orders`,
 * `-status`, `-clicks` and `-stats`, with retry and DLQ topics starting with
 * `<prefix>-`; HTTP and metrics on free ports. Later flags in `extra` win.
 */
export function aggregatorArgs(prefix: string, extra: string[] = []): string[] {
  return [
    "--brokers",
    testBrokers().join(","),
    "--orders-topic",
    `${prefix}-orders`,
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
    `${prefix}-aggregator`,
    "--http-port",
    "0",
    ...SERVICE_TEST_FLAGS,
    ...extra,
  ];
}

// ---------------------------------------------------------------- frozen instances (zombies)

/** Runs one of Kafka's own tools (`kafka-consumer-groups`, ...) to its end. */
export async function runKafkaTool(tool: KafkaToolName, args: string[]): Promise<ScriptRun> {
  const install = { version: "", libsDir: "", classpath: await kafkaToolsClasspath() };
  const out = await kafkaTool(install, tool, args, {
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** One member of a consumer group and the partitions it was assigned, by topic. */
export interface GroupMember {
  consumerId: string;
  clientId: string;
  assignment: Record<string, number[]>;
}

/**
 * The members of a group from `kafka-consumer-groups --describe --members
 * --verbose`: its table (`GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS
 * CURRENT-EPOCH CURRENT-ASSIGNMENT ...`, the assignment as
 * `orders:0,1;other:2`, or `-`), read by its header's names. Older tools
 * print an `ASSIGNMENT` column as `orders(0,1),other(2)`; it is read too.
 * Pure; no table (a group without members) is no members.
 *
 * @example
 * ```ts ignore
 * parseGroupMembers("GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS CURRENT-ASSIGNMENT\n" +
 *   "g c-1 /127.0.0.1 c 2 orders:0,1");
 * // [{ consumerId: "c-1", clientId: "c", assignment: { orders: [0, 1] } }]
 * ```
 */
export function parseGroupMembers(text: string): GroupMember[] {
  const rows = text.split("\n").map((l) => l.trim().split(/\s+/));
  const at = rows.findIndex((cols) => cols[0] === "GROUP" && cols.includes("CONSUMER-ID"));
  if (at < 0) return [];
  const header = rows[at];
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const assigned = col("CURRENT-ASSIGNMENT", "ASSIGNMENT");
  const members: GroupMember[] = [];
  for (const cols of rows.slice(at + 1)) {
    if (cols.length !== header.length) continue;
    const assignment: Record<string, number[]> = {};
    const text = assigned < 0 ? "-" : cols[assigned];
    for (const m of text.matchAll(/([^,;:()]+)[:(]([\d,]*)\)?/g)) {
      assignment[m[1]] = m[2].split(",").filter(Boolean).map(Number);
    }
    members.push({
      consumerId: cols[col("CONSUMER-ID")],
      clientId: cols[col("CLIENT-ID")],
      assignment,
    });
  }
  return members;
}

/** The members of `group` now, as the broker tells Kafka's own tool. */
export async function groupMembers(group: string): Promise<GroupMember[]> {
  const run = await runKafkaTool("kafka-consumer-groups", [
    "--bootstrap-server",
    testBrokers().join(","),
    "--describe",
    "--group",
    group,
    "--members",
    "--verbose",
  ]);
  if (run.code !== 0) throw new Error(`kafka-consumer-groups exited ${run.code}: ${run.stderr}`);
  return parseGroupMembers(run.stdout);
}

/** Whether one member of `members` holds every partition `0..partitions-1` of `topic`. */
export function holdsEveryPartition(
  members: readonly GroupMember[],
  topic: string,
  partitions: number,
): boolean {
  const held = new Set(members.flatMap((m) => m.assignment[topic] ?? []));
  return members.length === 1 && held.size === partitions;
}

/**
 * Freezes `frozen` (SIGSTOP: alive, holding whatever it held, saying
 * nothing), waits until the group has moved on without it, the other
 * member alone holding every partition of `topic` in two reads in a row
 * of Kafka's own `kafka-consumer-groups` (so the survivor has had a moment
 * to begin), and wakes it (SIGCONT), also when a wait fails. Returns where
 * its output stood when it woke: what it says from there on is about its
 * late work.
 *
 * `othersProgress`, if given, counts the others' work (the group's
 * committed offsets, summed); it must grow within a few seconds of the
 * freeze. A freeze that stops the others at once (the frozen one held a
 * lock they all need: SQLite's one write lock) is not a zombie the group
 * can move on from, so it is undone, and tried again once they work again.
 *
 * @example
 * ```ts ignore
 * const { wokeAt } = await freezeUntilMovedOn(a, {
 *   group,
 *   topic: { name: "orders", partitions: 6 },
 *   othersProgress: () => committedCount(group, "orders"),
 * });
 * const late = a.output().slice(wokeAt);
 * ```
 */
export async function freezeUntilMovedOn(
  frozen: ScriptProcess,
  options: {
    group: string;
    topic: { name: string; partitions: number };
    /** A count that grows while the others work (see above). */
    othersProgress?: () => Promise<number>;
    timeoutMs?: number;
  },
): Promise<{ wokeAt: number; freezes: number }> {
  const { group, topic, othersProgress } = options;
  const timeoutMs = options.timeoutMs ?? 90_000;
  const grows = async (what: string, withinMs: number) => {
    if (!othersProgress) return true;
    const from = await othersProgress();
    return await waitFor(what, async () => (await othersProgress()) > from, {
      timeoutMs: withinMs,
      intervalMs: 100,
    }).then(() => true, () => false);
  };
  for (let freezes = 1;; freezes++) {
    Deno.kill(frozen.pid, "SIGSTOP");
    let stalled = false;
    try {
      // Well within the 6 s session timeout of the tests' scripts.
      stalled = !(await grows("the others' progress", 2500));
      if (stalled && freezes >= 5) {
        throw new Error(`${freezes} freezes of pid ${frozen.pid} each stopped the others too`);
      }
      let reads = 0;
      if (!stalled) {
        await waitFor(`${group} to move on from the frozen pid ${frozen.pid}`, async () => {
          const movedOn = holdsEveryPartition(
            await groupMembers(group),
            topic.name,
            topic.partitions,
          );
          reads = movedOn ? reads + 1 : 0;
          return reads >= 2;
        }, { timeoutMs, intervalMs: 200 });
      }
    } finally {
      Deno.kill(frozen.pid, "SIGCONT");
    }
    if (!stalled) return { wokeAt: frozen.output().length, freezes };
    if (!(await grows("the others' progress once it is woken", timeoutMs))) {
      throw new Error(`nothing progressed after pid ${frozen.pid} was woken`);
    }
  }
}

/** A structured log line of a script, as shared/platform/log.ts writes them. */
export interface LogLine {
  level: string;
  msg: string;
  component?: string;
  [field: string]: unknown;
}

/** The structured lines of a script's output; other lines (a stack, a warning) are left out. */
export function logLines(output: string): LogLine[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      const parsed = JSON.parse(line);
      return typeof parsed.level === "string" && typeof parsed.msg === "string" ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

/**
 * What says that a woken instance's late work was refused, under either
 * design of the exactly-once loop, matched anywhere in one log line:
 * - one transactional producer per input partition (kafkajs): the next
 *   owner's producer bumped the epoch, and the old one is fenced
 *   (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, "old epoch");
 * - one producer per instance with the group generation on its offsets
 *   (KIP-447): the group moved on (ILLEGAL_GENERATION; UNKNOWN_MEMBER_ID once
 *   its member was removed; REBALANCE_IN_PROGRESS while the group joins);
 * - a data consumer's store, which the next owner has moved past: the
 *   batch was applied already, or the partition is another's.
 */
export const LATE_WORK_REFUSED = new RegExp(
  [
    "PRODUCER_FENCED",
    "INVALID_PRODUCER_EPOCH",
    "old epoch",
    "fences the current one",
    "\\bfenced\\b",
    "ILLEGAL_GENERATION",
    "generation id is not valid",
    "UNKNOWN_MEMBER_ID",
    "not aware of this member",
    "REBALANCE_IN_PROGRESS",
    "FENCED_INSTANCE_ID",
    "already applied up to the stored offset",
    "another instance owns this partition",
  ].join("|"),
  "i",
);

/**
 * The lines of `output` in which the script itself says that its work was
 * refused ({@linkcode LATE_WORK_REFUSED}). The Kafka client's own lines
 * (`component: "kafkajs"`) are left out: its heartbeat's "not aware of this
 * member" says the group moved on, not that any work was refused.
 */
export function refusedWork(output: string): LogLine[] {
  return logLines(output).filter((l) =>
    l.component !== "kafkajs" && LATE_WORK_REFUSED.test(JSON.stringify(l))
  );
}

/**
 * Keeps producing to `topic` while a test runs: `next(round)` gives each
 * round's messages, one round every `everyMs`. `stop()` ends it and returns
 * every message it produced (acknowledged by all replicas).
 */
export function keepProducing(
  kafka: TestKafka,
  topic: string,
  next: (round: number) => TestMessage[] | Promise<TestMessage[]>,
  { everyMs = 200 } = {},
): { stop(): Promise<TestMessage[]> } {
  const sent: TestMessage[] = [];
  let running = true;
  const done = (async () => {
    for (let round = 0; running; round++) {
      const messages = await next(round);
      await produceMessages(kafka, topic, messages);
      sent.push(...messages);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return sent;
    },
  };
}

/** The committed offset of `groupId` on each partition of `topic` (index = partition; -1: none). */
export async function committedByPartition(groupId: string, topic: string): Promise<number[]> {
  const admin = testAdmin("test-offsets");
  try {
    const offsets = await committedOffsets(admin, groupId, topic);
    return Array.from(
      { length: await partitionCount(admin, topic) },
      (_, p) => offsets.get(p) ?? -1,
    );
  } finally {
    await admin.close();
  }
}

/** The error lines a woken instance that carries on may say of its own: a crash loop says more. */
export const WOKEN_ERRORS_AT_MOST = 2;

/** The error lines of the script itself in `output` (not its Kafka client's). */
export function ownErrors(output: string): LogLine[] {
  return logLines(output).filter((l) => l.level === "error" && l.component !== "kafkajs");
}

/** How a woken instance's run ended (see {@linkcode stopWoken}). */
export interface WokenEnd {
  /** It was still running, and was stopped here; or it had stopped by itself. */
  how: "carried on" | "stopped itself";
  status: Deno.CommandStatus;
  /** What it said from its wake on. */
  late: string;
}

/**
 * Ends the run of an instance woken at `wokeAt` (see
 * {@linkcode freezeUntilMovedOn}): SIGTERM if it still runs. Checks
 * nothing, so that the caller can check the data first;
 * {@linkcode assertWokenEndedWell} checks how it went.
 */
export async function stopWoken(proc: ScriptProcess, wokeAt: number): Promise<WokenEnd> {
  const how = processAlive(proc.pid) ? "carried on" : "stopped itself";
  if (how === "carried on") proc.kill("SIGTERM");
  const status = await exited(proc);
  return { how, status, late: proc.output().slice(wokeAt) };
}

/**
 * A woken instance ended well, whichever way its loop handles the refusal:
 * - it carried on: SIGTERM stopped it with exit 0, and since it woke it
 *   said at most {@linkcode WOKEN_ERRORS_AT_MOST} errors of its own (no
 *   crash loop);
 * - it stopped by itself: exit 1, with exactly one error line of its own
 *   since it woke, and that line names the refusal
 *   ({@linkcode LATE_WORK_REFUSED}), not some other cause.
 */
export function assertWokenEndedWell(end: WokenEnd): void {
  const { how, status, late } = end;
  const errors = ownErrors(late);
  if (how === "carried on") {
    assert.equal(status.code, 0, `clean exit expected:\n${late.slice(-3000)}`);
    assert.ok(
      errors.length <= WOKEN_ERRORS_AT_MOST,
      `a crash loop? ${errors.length} errors since it woke:\n${late.slice(-3000)}`,
    );
    return;
  }
  assert.equal(status.code, 1, `exit 1 after a refusal, not ${status.code}:\n${late}`);
  assert.equal(errors.length, 1, `one error line, not ${errors.length}:\n${late}`);
  const line = JSON.stringify(errors[0]);
  assert.ok(LATE_WORK_REFUSED.test(line), `its one line says its work was refused, not: ${line}`);
}

/**
 * Waits until two instances share `topic` in `group` (Kafka's own tool
 * shows two members, each holding some of its partitions) and both are at
 * work: every partition committed on since, with records still to do.
 */
export async function bothAtWork(
  group: string,
  topic: { name: string; partitions: number },
  { timeoutMs = 90_000 } = {},
): Promise<void> {
  await waitFor("both instances to share the input", async () => {
    const members = await groupMembers(group);
    return members.length === 2 &&
      members.every((m) => (m.assignment[topic.name] ?? []).length > 0);
  }, { timeoutMs, intervalMs: 500 });
  const start = await committedByPartition(group, topic.name);
  await waitFor("both at work: every partition committed on, with more to do", async () => {
    const now = await committedByPartition(group, topic.name);
    return now.length === topic.partitions && now.every((n, p) => n > (start[p] ?? -1)) &&
      !(await caughtUp(group, topic.name));
  }, { timeoutMs, intervalMs: 200 });
}
