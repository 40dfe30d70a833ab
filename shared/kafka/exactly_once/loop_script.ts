/**
 * What the scripts that run the exactly-once loop (./loop.ts) share: the
 * loop's flags under one name each, the topics created at start-up, and the
 * one line that says why a run stopped. The routing producers' and the data
 * consumers' entries (producers/routing_producer.ts,
 * consumers/data_consumer.ts) take them with their own environment prefix.
 *
 * @example
 * ```ts
 * // const flags = exactlyOnceLoopFlags({ envPrefix: "ROUTER", groupId: "inventory-router", ... });
 * // const cfg = defineConfig({ name, summary, flags: { ...kafkaFlags, ...flags } }).load();
 * // const settings = loopSettingsFrom(cfg);
 * ```
 * @module
 */
import { createKafka, type KafkaConnection, kafkaLogger } from "../../kafka.ts";
import type { Logger } from "../../log.ts";
import { securityFailureLine } from "../../security/kafka_errors.ts";
import { ensureTopics, type TopicSpec } from "../../topics.ts";
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
      description: "transactional id prefix, one id per input partition [default: the group id]",
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
      description: "input partitions processed at once",
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
  // Few retries, so an unreachable broker is said in seconds, not minutes.
  const admin = createKafka({ ...connection, retries: 2 }, kafkaLogger(log)).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics, log);
  } finally {
    await admin.disconnect();
  }
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
    admin: () => createKafka({ ...connection, retries: 0 }, kafkaLogger(log)).admin(),
    topics: { reads: [...options.reads], writes: [...options.writes] },
  });
  if (security) log.error(security);
  else if (options.known.some((k) => err instanceof k)) log.error((err as Error).message);
  else log.error("stopped by an error", { error: err });
}
