/**
 * The flags of scripts/connect.ts (`--help` lists them), importable without
 * running it: scripts/services.ts derives the script's `--allow-env`, ports
 * and documentation from them, and the connectors' settings from their
 * defaults.
 * @module
 */
import { ConfigError, type ConfigOf, defineConfig, flagName } from "../platform/config.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { observabilityFlags } from "../platform/metrics.ts";
import { TOPICS } from "../kafka/topics.ts";
import { type DatabaseAddress, databaseAddress, parseProperties } from "./connectors.ts";

export const connectConfig = defineConfig({
  name: "connect",
  summary: "Runs a Kafka Connect worker with the storefront's outbox source (Debezium, " +
    "PostgreSQL) into the raw orders topic and the order status sink (Debezium JDBC) " +
    "into a reporting table.",
  flags: {
    sourceDatabaseUrl: {
      type: "string",
      env: "CONNECT_SOURCE_DATABASE_URL",
      description: "the storefront's PostgreSQL (wal_level=logical), postgres://user:pass@host/db",
    },
    sinkDatabaseUrl: {
      type: "string",
      env: "CONNECT_SINK_DATABASE_URL",
      description: "the reporting PostgreSQL (default: the storefront's)",
    },
    ordersTopic: {
      type: "string",
      env: "ORDERS_TOPIC",
      default: TOPICS.orders.name,
      description: "where the outbox's orders go (the raw orders topic)",
    },
    statusTopic: {
      type: "string",
      env: "CONNECT_STATUS_TOPIC",
      default: TOPICS.orderStatus.name,
      description: "the status events the sink copies into the reporting table",
    },
    groupId: {
      type: "string",
      env: "CONNECT_GROUP_ID",
      default: "order-pipeline-connect",
      description: "the Connect cluster's group; its internal topics are <group>.configs, " +
        ".offsets, .status",
    },
    restHost: {
      type: "string",
      env: "CONNECT_REST_HOST",
      default: "127.0.0.1",
      description: "address of the worker's REST API",
    },
    restPort: {
      type: "number",
      integer: true,
      min: 1,
      max: 65535,
      env: "CONNECT_REST_PORT",
      default: 8093,
      description: "port of the worker's REST API",
    },
    clientProperties: {
      type: "string",
      env: "CONNECT_CLIENT_PROPERTIES",
      description: "Kafka client properties file for a secured cluster (security.protocol, " +
        "sasl.mechanism, sasl.jaas.config, ssl.truststore.type=PEM, ssl.truststore.location)",
    },
    replicationFactor: {
      type: "number",
      integer: true,
      min: -1,
      max: 32767,
      env: "CONNECT_REPLICATION_FACTOR",
      default: -1,
      description: "replication of the worker's internal topics (-1: the broker's default)",
    },
    startTimeoutMs: {
      type: "number",
      integer: true,
      min: 1000,
      max: 3_600_000,
      env: "CONNECT_START_TIMEOUT_MS",
      default: 180_000,
      description: "how long the worker and its connectors may take to run",
    },
    heap: {
      type: "string",
      env: "CONNECT_HEAP",
      default: "512m",
      description: "the worker JVM's -Xmx",
    },
    ...observabilityFlags(9110),
    logLevel: logLevelFlag,
    brokers: kafkaFlags.brokers,
  },
});

export type ConnectConfig = ConfigOf<typeof connectConfig.specs>;

/** The two databases and the client properties, each mistake named by its flag. */
export function connectTargets(
  cfg: ConnectConfig,
  readFile: (path: string) => string = Deno.readTextFileSync,
): { source: DatabaseAddress; sink: DatabaseAddress; clientProperties: Record<string, string> } {
  if (!cfg.sourceDatabaseUrl) {
    throw new ConfigError(
      "sourceDatabaseUrl",
      "--source-database-url (or CONNECT_SOURCE_DATABASE_URL) is required: the storefront's " +
        "PostgreSQL, with wal_level=logical",
    );
  }
  if (!cfg.brokers?.length) {
    throw new ConfigError("brokers", "--brokers (or KAFKA_BROKERS) is required");
  }
  const address = (flag: "sourceDatabaseUrl" | "sinkDatabaseUrl", url: string) => {
    try {
      return databaseAddress(url);
    } catch (err) {
      throw new ConfigError(flag, `--${flagName(flag)}: ${(err as Error).message}`);
    }
  };
  const source = address("sourceDatabaseUrl", cfg.sourceDatabaseUrl);
  const sink = cfg.sinkDatabaseUrl ? address("sinkDatabaseUrl", cfg.sinkDatabaseUrl) : source;
  let clientProperties: Record<string, string> = {};
  if (cfg.clientProperties) {
    try {
      clientProperties = parseProperties(readFile(cfg.clientProperties));
    } catch (err) {
      throw new ConfigError(
        "clientProperties",
        `--client-properties: ${cfg.clientProperties}: ${(err as Error).message}`,
      );
    }
  }
  return { source, sink, clientProperties };
}
