/**
 * What the scripts that run the exactly-once loop (./loop.ts) share: the
 * loop's flags under one name each, and their life ({@linkcode runLoopScript}):
 * the topics created at start-up, the metrics and lag served, the run until
 * a signal, and the one line that says why a run stopped. The routing producers' and the data
 * consumers' entries (producers/routing_producer.ts,
 * consumers/data_consumer.ts) take them with their own environment prefix.
 *
 * @example
 * ```ts
 * // const flags = exactlyOnceLoopFlags({ envPrefix: "ROUTER", groupId: "inventory-router", ... });
 * // const cfg = defineConfig({ name, summary, flags: { ...kafkaFlags, ...flags } }).load();
 * // const settings = loopSettingsFrom(cfg);
 * // Deno.exit(await runLoopScript({ script, cfg, log, connection, injector, topics, access, known, start }));
 * ```
 * @module
 */
import { createAdmin } from "../client.ts";
import { type KafkaConnection } from "../connection.ts";
import { startLagMetrics } from "../lag_metrics.ts";
import type { Logger } from "../../platform/log.ts";
import { MetricsRegistry, serveMetrics } from "../../platform/metrics.ts";
import type { FailureInjector } from "../../retry/failure_injection.ts";
import { securityFailureLine } from "../errors.ts";
import { shutdownSignal } from "../../platform/shutdown.ts";
import { ensureTopicsAt, type TopicSpec } from "../topics.ts";
import type { LoopSettings } from "./loop.ts";

/**
 * The loop's flags: `<PREFIX>_GROUP_ID`, `…_TRANSACTIONAL_ID_PREFIX`,
 * `…_TRANSACTION_SIZE`, `…_LINGER_MS`, `…_CONCURRENCY`,
 * `…_SESSION_TIMEOUT_MS`, `…_CREATE_TOPICS`. `formerSizeFlag` keeps a
 * renamed size flag (the data consumers' `--batch-size`) working.
 */
export function exactlyOnceLoopFlags<P extends string>(options: {
  envPrefix: P;
  groupId: string;
  groupDescription: string;
  transactionDescription: string;
  formerSizeFlag?: { flag: string; env: string };
}) {
  const p = options.envPrefix;
  return {
    groupId: {
      type: "string",
      env: `${p}_GROUP_ID`,
      default: options.groupId,
      description: options.groupDescription,
    },
    transactionalIdPrefix: {
      type: "string",
      env: `${p}_TRANSACTIONAL_ID_PREFIX`,
      description:
        "transactional id prefix: each producer's id is <prefix>-<random> [default: the group id]",
    },
    transactionSize: {
      type: "number",
      integer: true,
      min: 1,
      max: 100_000,
      env: `${p}_TRANSACTION_SIZE`,
      default: 1000,
      ...(options.formerSizeFlag ? { formerly: options.formerSizeFlag } : {}),
      description: options.transactionDescription,
    },
    lingerMs: {
      type: "number",
      integer: true,
      min: 0,
      max: 60_000,
      env: `${p}_LINGER_MS`,
      default: 100,
      description: "how long a fetch may wait to fill a batch",
    },
    concurrency: {
      type: "number",
      integer: true,
      min: 1,
      max: 64,
      env: `${p}_CONCURRENCY`,
      default: 32,
      description: "partitions' chunks of one fetch prepared at once",
    },
    sessionTimeoutMs: {
      type: "number",
      integer: true,
      min: 6000,
      max: 300_000,
      env: `${p}_SESSION_TIMEOUT_MS`,
      default: 30_000,
      description: "how long the group waits for a silent (crashed) member before " +
        "handing its partitions to others",
    },
    createTopics: {
      type: "boolean",
      env: `${p}_CREATE_TOPICS`,
      default: true,
      description: "create missing topics from the declared table at start-up",
    },
  } as const;
}

/** The loop's flag values, as {@linkcode exactlyOnceLoopFlags} and observabilityFlags declare them. */
export interface LoopFlagValues {
  metricsHost: string;
  metricsPort: number;
  groupId: string;
  transactionalIdPrefix?: string;
  transactionSize: number;
  lingerMs: number;
  concurrency: number;
  sessionTimeoutMs: number;
  createTopics: boolean;
  progressInterval: number;
}

/** The loop's settings from its flags. */
export function loopSettingsFrom(cfg: LoopFlagValues): LoopSettings {
  return {
    transactionSize: cfg.transactionSize,
    lingerMs: cfg.lingerMs,
    concurrency: cfg.concurrency,
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    progressIntervalS: cfg.progressInterval,
  };
}

/** The transactional id prefix: the flag's, else the group id. */
export function transactionalIdPrefixOf(cfg: LoopFlagValues): string {
  return cfg.transactionalIdPrefix ?? cfg.groupId;
}

/** Creates the missing `topics` when `--create-topics` is on (the default). */
export async function createTopicsAtStart(
  cfg: LoopFlagValues,
  connection: KafkaConnection,
  log: Logger,
  topics: readonly TopicSpec[],
): Promise<void> {
  if (!cfg.createTopics) return;
  await ensureTopicsAt(connection, topics, log);
}

/**
 * Says in one line why a loop script stopped: a Kafka security failure
 * named with the group, the transactional ids and the topic it was denied;
 * the message of an error the script knows (`known`); else the error.
 */
export async function logLoopFailure(err: unknown, options: {
  cfg: LoopFlagValues;
  connection: KafkaConnection;
  log: Logger;
  reads: readonly string[];
  writes: readonly string[];
  known: readonly (abstract new (...args: never[]) => Error)[];
}): Promise<void> {
  const { cfg, connection, log } = options;
  const security = await securityFailureLine(err, {
    ...connection,
    groups: [cfg.groupId],
    transactionalIds: [`${transactionalIdPrefixOf(cfg)}-* (prefix)`],
  }, {
    admin: () => createAdmin({ ...connection, retries: 0 }),
    topics: { reads: [...options.reads], writes: [...options.writes] },
  });
  if (security) log.error(security);
  else if (options.known.some((k) => err instanceof k)) log.error((err as Error).message);
  else log.error("stopped by an error", { error: err });
}

/** A loop ready to run, and what to release after it. */
export interface StartedLoop {
  run(signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export interface LoopScriptOptions {
  script: string;
  cfg: LoopFlagValues;
  log: Logger;
  connection: KafkaConnection;
  injector: FailureInjector;
  /** Created when missing, with `--create-topics` (the default). */
  topics: readonly TopicSpec[];
  /** The topics the loop reads (their lag is served) and writes (named when access is denied). */
  access: { reads: readonly string[]; writes: readonly string[] };
  /** Errors whose message alone says what is wrong (a store's, a registry's). */
  known: readonly (abstract new (...args: never[]) => Error)[];
  /** Builds the loop (a codec, a store); called once the topics exist. */
  start(metrics: MetricsRegistry): Promise<StartedLoop>;
}

/**
 * The life of a loop script: builds its loop, creates its topics, serves
 * metrics and lag, runs until SIGINT/SIGTERM; returns the exit code (1 after
 * an error, said in one line).
 */
export async function runLoopScript(options: LoopScriptOptions): Promise<number> {
  const { script, cfg, log, connection, injector } = options;
  const shutdown = shutdownSignal(log);
  let started: StartedLoop | undefined;
  try {
    if (injector.active) log.warn("failure injection is on", { ...injector.settings });
    const metrics = new MetricsRegistry({ script });
    // Kafka first: a refused login or a missing ACL is the line to say, even
    // when the registry or the store is not there either.
    await createTopicsAtStart(cfg, connection, log, options.topics);
    started = await options.start(metrics);
    const server = serveMetrics(metrics, { hostname: cfg.metricsHost, port: cfg.metricsPort });
    log.info("metrics", { url: server.url });
    const lag = startLagMetrics({
      admin: createAdmin(connection),
      metrics,
      groupId: cfg.groupId,
      topics: options.access.reads,
      log,
    });
    await started.run(shutdown.signal);
    await lag.stop();
    await server.close();
    return 0;
  } catch (err) {
    await logLoopFailure(err, { ...options, ...options.access });
    return 1;
  } finally {
    await started?.close?.().catch(() => {});
    shutdown.dispose();
  }
}
