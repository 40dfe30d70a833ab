/**
 * Helpers for tests that run the pipeline's scripts as real processes on
 * the real broker: per-test topics and registry, raw orders in, scripts
 * started (and killed) by pid, and complete read_committed reads of outputs.
 * @module
 */
import assert from "node:assert/strict";
import type { Kafka, KafkaMessage, Message, Producer } from "kafkajs";
import { runScript, scriptDenoCommand } from "./run_script.ts";
import { registryClient } from "../shared/kafka/avro_codec.ts";
import { DEFAULT_CATALOG } from "../shared/orders/catalog.ts";
import { createOrderGenerator } from "../shared/orders/generate.ts";
import { consumerLag } from "../shared/kafka/lag.ts";
import { type RegistryServerOptions, startRegistry } from "../shared/registry/server.ts";
import type { RegistryConnection } from "../shared/kafka/registry_connection.ts";
import { ensureTopics, renamed, TOPICS, type TopicSpec } from "../shared/kafka/topics.ts";
import { integration, testBrokers, testKafka, testLogger, uniqueName, waitFor } from "./harness.ts";

/** Scripts run to their end: tests/run_script.ts, re-exported for the pipeline tests. */
export { runScript, type ScriptRun } from "./run_script.ts";

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
  kafka: Kafka,
  name: string,
  registry: Pick<RegistryServerOptions, "users" | "tls"> = {},
): Promise<TestPipeline> {
  const topics = {
    orders: renamed(TOPICS.orders, uniqueName(`${name}-orders`)),
    inventoryOrders: renamed(TOPICS.inventoryOrders, uniqueName(`${name}-inventory`)),
    deliveryOrders: renamed(TOPICS.deliveryOrders, uniqueName(`${name}-delivery`)),
    ordersDlq: renamed(TOPICS.ordersDlq, uniqueName(`${name}-dlq`)),
  };
  await createTopics(kafka, Object.values(topics));
  const options = {
    kafka,
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
  kafka: Kafka;
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
    const pipeline = await startTestPipeline(kafka, name);
    try {
      await body({ kafka, pipeline, t });
    } finally {
      await pipeline.close();
    }
  });
}

/** Creates `specs` on this run's broker, where they do not exist yet. */
export async function createTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A connected transactional producer, its transactional id `name` made
 * unique; one request in flight, as exactly-once needs.
 */
export async function transactionalProducer(kafka: Kafka, name: string): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId: uniqueName(name),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  return producer;
}

/** Produces `messages` to `topic` with an idempotent producer, 500 at a time, all acks. */
export async function produceMessages(
  kafka: Kafka,
  topic: string,
  messages: Message[],
): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Produces raw values (already JSON text, or any bytes) keyed as given. */
export async function produceRaw(
  kafka: Kafka,
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
  kafka: Kafka,
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
) {
  return await readDecoded(kafka, pipeline.registryUrl, routerTopic(pipeline, target));
}

/** How many raw orders the `target` routing producer has committed. */
export function routerCommitted(
  kafka: Kafka,
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
): Promise<number> {
  return committedCount(kafka, routerGroup(pipeline, target), pipeline.topics.orders.name);
}

/** Whether the `target` routing producer has committed every raw order. */
export function routerCaughtUp(
  kafka: Kafka,
  pipeline: TestPipeline,
  target: "inventory" | "delivery",
): Promise<boolean> {
  return caughtUp(kafka, routerGroup(pipeline, target), pipeline.topics.orders.name);
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
export async function committedCount(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Whether `groupId` has committed every record of `topic` (its lag is zero). */
export async function caughtUp(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await consumerLag(admin, groupId, topic)).every((p) => p.lag === 0);
  } finally {
    await admin.disconnect();
  }
}

const END_HEADER = "test-end-of-topic";

/**
 * Reads every committed record of `topic`, completely: it first appends a
 * marker to each partition, then reads with read_committed until it has
 * seen every marker. Anything committed before the call is in the result,
 * once per time it is in the topic: duplicates are not hidden.
 */
/** A consumed message and the partition it came from. */
export type PartitionedMessage = KafkaMessage & { partition: number };

export async function readAllCommitted(
  kafka: Kafka,
  topic: string,
): Promise<PartitionedMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const partitions = (await admin.fetchTopicOffsets(topic)).map((p) => p.partition);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: partitions.map((partition) => ({
      partition,
      value: "end",
      headers: { [END_HEADER]: "1" },
    })),
  });
  await producer.disconnect();

  const consumer = kafka.consumer({
    groupId: uniqueName("reader"),
    readUncommitted: false,
    maxWaitTimeInMs: 200,
  });
  const got: PartitionedMessage[] = [];
  const ended = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        if (message.headers?.[END_HEADER]) ended.add(partition);
        else got.push({ ...message, partition });
        return Promise.resolve();
      },
    });
    await waitFor(`the end of ${topic}`, () => ended.size === partitions.length, {
      timeoutMs: 60_000,
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/**
 * Reads `topic` from its beginning, as a fresh group, until `count` records
 * have come (or `timeoutMs` has passed); returns what came.
 */
export async function consumeRecords(
  kafka: Kafka,
  topic: string,
  count: number,
  { timeoutMs = 30_000 } = {},
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("reader"), maxWaitTimeInMs: 200 });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void got.push(message)) });
    await waitFor(`${count} records of ${topic}`, () => got.length >= count, { timeoutMs });
  } finally {
    await consumer.disconnect();
  }
  return got;
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
  kafka: Kafka,
  pipeline: TestPipeline,
  count: number,
  options: Parameters<typeof rawOrders>[1],
): Promise<ReturnType<typeof rawOrders>> {
  const records = rawOrders(count, options);
  await produceRaw(kafka, pipeline.topics.orders.name, records);
  return records;
}

/** Decodes Avro records through the registry at `url` (or the connection given). */
export async function decodeAll(url: string | RegistryConnection, messages: KafkaMessage[]) {
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
  kafka: Kafka,
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
 *   const n = await committedCount(kafka, group, topic);
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
  let exited = false;
  proc.status.then(() => exited = true, () => exited = true);
  await waitFor("its first line before it is stopped", () => exited || proc.output() !== "", {
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  proc.kill("SIGTERM");
  const status = await proc.status;
  assert.equal(status.code, 0, `clean exit expected:\n${proc.output().slice(-3000)}`);
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
