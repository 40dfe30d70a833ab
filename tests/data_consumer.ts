/**
 * The command line of a data consumer (inventory or delivery) under test:
 * where it reads, writes and keeps its state, on this run's broker.
 * @module
 */
import { testBrokers } from "./harness.ts";

/** Where a data consumer under test reads, writes and keeps its state. */
export interface DataConsumerSettings {
  registryUrl: string;
  databaseUrl: string;
  sourceTopics: string[];
  statusTopic: string;
  /** The inventory consumer's change log (`--change-log-topic`); the delivery consumer has none. */
  changeLogTopic?: string;
  dlqTopic: string;
  groupId: string;
  /** Given in tests that kill members, so that their partitions move on sooner. */
  sessionTimeoutMs?: number;
}

/**
 * A data consumer's arguments for a test: `settings` on this run's broker,
 * metrics on a free port, no progress lines, then `extra`.
 *
 * @example
 * ```ts ignore
 * const args = dataConsumerArgs({
 *   registryUrl: pipeline.registryUrl,
 *   databaseUrl: "sqlite:/tmp/test.db",
 *   sourceTopics: [pipeline.topics.inventoryOrders.name],
 *   statusTopic: "status",
 *   dlqTopic: pipeline.topics.ordersDlq.name,
 *   groupId: uniqueName("inventory"),
 * });
 * const proc = startScript("consumers/inventory_data_consumer.ts", args);
 * ```
 */
export function dataConsumerArgs(settings: DataConsumerSettings, extra: string[] = []): string[] {
  return [
    "--brokers",
    testBrokers().join(","),
    "--registry-url",
    settings.registryUrl,
    "--database-url",
    settings.databaseUrl,
    "--source-topics",
    settings.sourceTopics.join(","),
    "--status-topic",
    settings.statusTopic,
    ...(settings.changeLogTopic === undefined
      ? []
      : ["--change-log-topic", settings.changeLogTopic]),
    "--dlq-topic",
    settings.dlqTopic,
    "--group-id",
    settings.groupId,
    ...(settings.sessionTimeoutMs === undefined
      ? []
      : ["--session-timeout-ms", String(settings.sessionTimeoutMs)]),
    "--metrics-port",
    "0",
    "--progress-interval",
    "0",
    ...extra,
  ];
}
