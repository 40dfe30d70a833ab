/**
 * Every runnable script with the narrowest permission flags it works with.
 * `deno task compile` builds binaries from this table, and the README's
 * script table is checked against it, so the flags are written once.
 * @module
 */

import { DEFAULT_LAG_TARGETS, parseLagTargets } from "../shared/dashboard/lag_view.ts";
import { ledgerTopicName, transactionalIdFor } from "../shared/dlq_replay/ledger.ts";
import { backoffFlags, dlqTopicName } from "../shared/retry/backoff.ts";
import { httpServerEnv } from "../shared/http/guard.ts";
import { failureInjectionFlags } from "../shared/retry/failure_injection.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE } from "../shared/router/route.ts";
import type { KafkaAccess } from "../shared/security/acls.ts";
import { TOPICS } from "../shared/topics.ts";
import {
  CONSUMERS,
  dlqTopics,
  failureTopics,
  retryTopics,
  ROUTER_RETRY_BASES,
} from "../shared/topology.ts";
import { registrySecurityFlags } from "../shared/registry/security.ts";
import { REGISTRY_ENV } from "../shared/registry/client_connection.ts";

export interface ScriptEntry {
  /** Binary name under build/. */
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** What it does, in one line. */
  summary: string;
  /** Deno permission flags, as narrow as the script allows. */
  permissions: string[];
  /** Files a standalone binary must carry besides the code (`deno compile --include`). */
  include?: string[];
  /**
   * What it touches on Kafka with its default settings; the ACL table of its
   * principal (named after the script) is derived from this (shared/security/acls.ts).
   */
  kafka?: Omit<KafkaAccess, "principal">;
}

/** Environment variables every Kafka script may read (shared/kafka.ts). */
export const KAFKA_ENV = [
  "KAFKA_BROKERS",
  "KAFKA_CLIENT_ID",
  "KAFKA_SSL",
  "KAFKA_SSL_CA_FILE",
  "KAFKA_SSL_CERT_FILE",
  "KAFKA_SSL_KEY_FILE",
  "KAFKA_SASL_MECHANISM",
  "KAFKA_SASL_USERNAME",
  "KAFKA_SASL_PASSWORD",
  // Topics created where missing take this replication (shared/topics.ts).
  "KAFKA_REPLICATION_FACTOR",
  "KAFKAJS_NO_PARTITIONER_WARNING",
  // Read by kafkajs itself; without them it fails with a permission error.
  "NODE_ENV",
  "KAFKAJS_LOG_LEVEL",
  "KAFKAJS_DEBUG_PROTOCOL_BUFFERS",
  "KAFKAJS_DEBUG_EXTENDED_PROTOCOL_BUFFERS",
];

/** Environment variables of the retry and failure-injection flags (shared/retry/). */
export const RETRY_ENV = [...Object.values(backoffFlags), ...Object.values(failureInjectionFlags)]
  .map((flag) => flag.env);

/** Every script that connects to Kafka, with its principal's access (principal = script name). */
export function kafkaPrincipals(): KafkaAccess[] {
  return SCRIPTS.filter((s) => s.kafka).map((s) => ({ principal: s.name, ...s.kafka }));
}

/**
 * Why the three HTTP surfaces (gateway, status service, dashboard) get an
 * unscoped `--allow-read`: their `--tls-cert-file`/`--tls-key-file` (and
 * Kafka's `--ssl-*-file`) name files wherever the user keeps them, and a
 * permission cannot be scoped to a path only known at run time. It is read
 * only (no write, no run), and none of these scripts reads a path a request
 * names: the only paths read are those given at start-up.
 */
const TLS_FILES_READ = "--allow-read";

/** Finds a script by its entry file. */
export function scriptByEntry(entry: string): ScriptEntry | undefined {
  return SCRIPTS.find((s) => s.entry === entry);
}

/** Environment variables the PostgreSQL client (npm pg) reads when it connects. */
export const PG_ENV = [
  "PGUSER",
  "PGDATABASE",
  "PGPORT",
  "PGHOST",
  "PGPASSWORD",
  "PGBINARY",
  "PGOPTIONS",
  "PGSSLMODE",
  "PGSSLNEGOTIATION",
  "PGCLIENT_ENCODING",
  "PGREPLICATION",
  "PGAPPNAME",
  "PGCONNECT_TIMEOUT",
  "PGPASSFILE",
  "USER",
  "HOME",
];

/** A data consumer's Kafka access: its sources and their retries in, retries, DLQs and status out. */
function dataConsumerAccess(
  consumer: { sources: readonly { name: string }[]; groupId: string },
): ScriptEntry["kafka"] {
  const sources = consumer.sources.map((s) => s.name);
  const retries = sources.flatMap((s) => retryTopics(s));
  return {
    reads: [...sources, ...retries],
    writes: [...retries, ...sources.map(dlqTopicName), TOPICS.orderStatus.name],
    groups: [consumer.groupId],
    transactionalIdPrefixes: [`${consumer.groupId}-`],
  };
}

/**
 * Reading dead letters and replaying them once (the replayer, the dashboard):
 * every DLQ and its ledger in, the ledgers and the stages' inputs and retry
 * topics out, one transactional id per DLQ.
 */
function replayAccess(groupPrefixes: string[]): NonNullable<ScriptEntry["kafka"]> {
  const dlqs = dlqTopics();
  const targets = [
    TOPICS.orders.name,
    ...Object.values(CONSUMERS).flatMap((c) => c.sources.map((s) => s.name)),
    ...failureTopics().map((t) => t.name).filter((t) => !dlqs.includes(t)),
  ];
  return {
    reads: [...dlqs, ...dlqs.map(ledgerTopicName)],
    writes: [...targets, ...dlqs.map(ledgerTopicName)],
    groupPrefixes,
    transactionalIds: dlqs.map(transactionalIdFor),
  };
}

/** The flags of a data consumer: Kafka, the database, its own settings. */
function dataConsumerPermissions(): string[] {
  return [
    "--allow-net",
    `--allow-env=${
      [
        ...KAFKA_ENV,
        ...PG_ENV,
        "DATABASE_URL",
        ...REGISTRY_ENV,
        "CONSUMER_SOURCE_TOPICS",
        "CONSUMER_STATUS_TOPIC",
        "CONSUMER_DLQ_TOPIC",
        "CONSUMER_GROUP_ID",
        "CONSUMER_TRANSACTIONAL_ID_PREFIX",
        "CONSUMER_BATCH_SIZE",
        "CONSUMER_LINGER_MS",
        "CONSUMER_CONCURRENCY",
        "CONSUMER_SESSION_TIMEOUT_MS",
        ...RETRY_ENV,
        "METRICS_PORT",
        "METRICS_HOST",
        "PROGRESS_INTERVAL",
        "LOG_LEVEL",
      ].join(",")
    }`,
    // The SQLite database file (and its -wal/-shm companions).
    "--allow-read",
    "--allow-write",
  ];
}

/**
 * A script that connects to Kafka reads the TLS files it is given
 * (KAFKA_SSL_*_FILE): their paths are the user's to name, so it gets
 * `--allow-read`; narrow it to the certificates' folder with
 * `--allow-read=<dir>` where the paths are known.
 */
function withTlsFiles(entry: ScriptEntry): ScriptEntry {
  if (!entry.kafka || entry.permissions.includes("--allow-read")) return entry;
  const permissions = entry.permissions.filter((p) => !p.startsWith("--allow-read="));
  const at = permissions.findIndex((p) => p.startsWith("--allow-env"));
  permissions.splice(at + 1, 0, "--allow-read");
  return { ...entry, permissions };
}

export const SCRIPTS: ScriptEntry[] = ([
  {
    name: "schema_registry",
    entry: "scripts/schema_registry.ts",
    kafka: {
      reads: [TOPICS.schemas.name],
      writes: [TOPICS.schemas.name],
      groupPrefixes: ["schema-registry-loader-"],
    },
    summary: "Confluent-compatible schema registry, stored in a compacted Kafka topic",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          "SCHEMA_REGISTRY_PORT",
          "SCHEMA_REGISTRY_HOST",
          "SCHEMA_REGISTRY_TOPIC",
          ...Object.values(registrySecurityFlags).map((flag) => flag.env),
          "LOG_LEVEL",
        ]
          .join(",")
      }`,
      "--allow-read",
    ],
  },
  {
    name: "order_gateway",
    entry: "scripts/order_gateway.ts",
    kafka: { writes: [TOPICS.orders.name] },
    summary: "HTTP intake: POST /orders into the raw orders topic, 202 once Kafka has them",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          "GATEWAY_PORT",
          "GATEWAY_HOST",
          "ORDERS_TOPIC",
          "LOG_LEVEL",
          ...httpServerEnv("GATEWAY"),
        ].join(",")
      }`,
      TLS_FILES_READ,
    ],
  },
  {
    name: "order_generator",
    entry: "scripts/order_generator.ts",
    kafka: { writes: [TOPICS.orders.name, TOPICS.clicks.name] },
    summary: "load generator: orders at a rate, count and type mix into the raw orders topic",
    permissions: [
      "--allow-net",
      `--allow-env=${[...KAFKA_ENV, "ORDERS_TOPIC", "LOG_LEVEL"].join(",")}`,
    ],
  },
  {
    name: "order_import",
    entry: "scripts/order_import.ts",
    kafka: { writes: [TOPICS.orders.name] },
    summary: "NDJSON import from a file or stdin into the raw orders topic, every line validated",
    permissions: [
      "--allow-net",
      `--allow-env=${[...KAFKA_ENV, "ORDERS_TOPIC", "LOG_LEVEL"].join(",")}`,
      // The file to import is the user's to name.
      "--allow-read",
    ],
  },
  ...[INVENTORY_ROUTE, DELIVERY_ROUTE].map((route) => ({
    name: `${route.type}_orders_producer`,
    kafka: {
      reads: [TOPICS.orders.name, ...retryTopics(ROUTER_RETRY_BASES[route.type])],
      writes: [
        route.target.name,
        TOPICS.ordersDlq.name,
        ...retryTopics(ROUTER_RETRY_BASES[route.type]),
      ],
      groups: [route.groupId],
      // One transactional id per input partition: <group>-<topic>-<partition>.
      transactionalIdPrefixes: [`${route.groupId}-`],
    },
    entry: `producers/${route.type}_orders_producer.ts`,
    summary:
      `routes ${route.type} orders to ${route.target.name}, Avro via the registry, exactly once`,
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          ...REGISTRY_ENV,
          "ROUTER_SOURCE_TOPIC",
          "ROUTER_TARGET_TOPIC",
          "ROUTER_DLQ_TOPIC",
          "ROUTER_GROUP_ID",
          "ROUTER_TRANSACTIONAL_ID_PREFIX",
          "ROUTER_TRANSACTION_SIZE",
          "ROUTER_LINGER_MS",
          "ROUTER_CONCURRENCY",
          "ROUTER_SESSION_TIMEOUT_MS",
          "ROUTER_CREATE_TOPICS",
          "ROUTER_RETRY_TOPIC_PREFIX",
          ...RETRY_ENV,
          "METRICS_PORT",
          "METRICS_HOST",
          "PROGRESS_INTERVAL",
          "LOG_LEVEL",
        ].join(",")
      }`,
      // The registry's CA file (--registry-ca-file) is the user's to name.
      "--allow-read",
    ],
  })),
  {
    name: "inventory_data_consumer",
    entry: "consumers/inventory_data_consumer.ts",
    kafka: dataConsumerAccess(CONSUMERS.inventory),
    summary: "applies stock movements to the stock database, never overselling, exactly once",
    permissions: dataConsumerPermissions(),
  },
  {
    name: "delivery_data_consumer",
    entry: "consumers/delivery_data_consumer.ts",
    kafka: dataConsumerAccess(CONSUMERS.delivery),
    summary: "drives each delivery through its lifecycle in the database, exactly once",
    permissions: dataConsumerPermissions(),
  },
  {
    name: "carrier_simulator",
    entry: "scripts/carrier_simulator.ts",
    kafka: {
      reads: [TOPICS.orderStatus.name],
      writes: [TOPICS.deliveryEvents.name],
      groups: ["carrier-simulator"],
    },
    summary: "stand-in for a carrier: dispatches, moves and delivers scheduled deliveries",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          ...REGISTRY_ENV,
          "CARRIER_DELAY_MS",
          "CARRIER_FAILURE_RATE",
          "CARRIER_STATUS_TOPIC",
          "CARRIER_EVENTS_TOPIC",
          "CARRIER_GROUP_ID",
          "CARRIER_SESSION_TIMEOUT_MS",
          "METRICS_PORT",
          "METRICS_HOST",
          "PROGRESS_INTERVAL",
          "LOG_LEVEL",
        ].join(",")
      }`,
      // The registry's CA file (--registry-ca-file) is the user's to name.
      "--allow-read",
    ],
  },
  {
    name: "order_status_service",
    entry: "scripts/order_status_service.ts",
    kafka: { reads: [TOPICS.orderStatus.name], groupPrefixes: ["order-status-service-"] },
    summary: "GET /orders/:id: an order's current status and history, from order_status",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          "STATUS_PORT",
          "STATUS_HOST",
          "STATUS_TOPIC",
          "STATUS_GROUP_PREFIX",
          "PROGRESS_INTERVAL",
          "LOG_LEVEL",
          ...httpServerEnv("STATUS"),
        ].join(",")
      }`,
      TLS_FILES_READ,
    ],
  },
  {
    name: "dlq_replayer",
    entry: "scripts/dlq_replayer.ts",
    kafka: replayAccess(["dlq-replayer-read-"]),
    summary: "lists a dead-letter topic by reason, shows a record, replays a selection once",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          "DLQ_TOPIC",
          "DLQ_REPLAY_RATE",
          ...REGISTRY_ENV,
          "PROGRESS_INTERVAL",
          "LOG_LEVEL",
        ].join(",")
      }`,
      // The registry's CA file (--registry-ca-file) is the user's to name.
      "--allow-read",
    ],
  },
  {
    name: "aggregator",
    entry: "scripts/aggregator.ts",
    kafka: {
      reads: [
        TOPICS.orders.name,
        TOPICS.orderStatus.name,
        TOPICS.clicks.name,
        TOPICS.orderStats.name,
        // Every dead-letter topic its pattern finds: the routers' too, not only the consumers'.
        TOPICS.ordersDlq.name,
        ...failureTopics().map((t) => t.name),
      ],
      writes: [TOPICS.orderStats.name],
      groups: ["order-aggregator"],
      // Its restore reads its snapshot under a group of its own, once (shared/aggregate/restore.ts).
      groupPrefixes: ["order-aggregator-restore-"],
      transactionalIds: ["order-aggregator"],
    },
    summary: "live order statistics and clickstream analytics, exactly once; GET /stats (SSE too)",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          "AGGREGATOR_ORDERS_TOPIC",
          "AGGREGATOR_STATUS_TOPIC",
          "AGGREGATOR_CLICKS_TOPIC",
          "AGGREGATOR_RETRY_PATTERN",
          "AGGREGATOR_DLQ_PATTERN",
          "AGGREGATOR_STATS_TOPIC",
          "AGGREGATOR_GROUP_ID",
          "AGGREGATOR_TRANSACTIONAL_ID",
          "AGGREGATOR_COMMIT_INTERVAL_MS",
          "AGGREGATOR_MAX_UNCOMMITTED",
          "AGGREGATOR_TOP_N",
          "AGGREGATOR_ORDERS_WINDOW_SECONDS",
          "AGGREGATOR_ORDERS_WINDOWS_KEPT",
          "AGGREGATOR_VIEW_WINDOW_SECONDS",
          "AGGREGATOR_VIEW_SLIDE_SECONDS",
          "AGGREGATOR_CONVERSION_RETENTION_SECONDS",
          "AGGREGATOR_TOPIC_REFRESH_SECONDS",
          "AGGREGATOR_SESSION_TIMEOUT_MS",
          "AGGREGATOR_HTTP_PORT",
          "AGGREGATOR_HTTP_HOST",
          "METRICS_PORT",
          "METRICS_HOST",
          "PROGRESS_INTERVAL",
          "LOG_LEVEL",
        ].join(",")
      }`,
    ],
  },
  {
    name: "terminal_dashboard",
    entry: "scripts/terminal_dashboard.ts",
    summary: "the live figures in a terminal, redrawn in place from the aggregator's stream",
    // Any host: the aggregator's address is the user's to give.
    permissions: ["--allow-net", "--allow-env=STATS_URL,LOG_LEVEL"],
  },
  {
    name: "dashboard",
    entry: "scripts/dashboard.ts",
    kafka: {
      ...replayAccess(["dashboard-dlq-read-", "dashboard-tail-"]),
      reads: [
        ...replayAccess([]).reads!,
        TOPICS.orders.name,
        TOPICS.orderStatus.name,
      ],
      // The demo load it may start goes to the raw orders.
      writes: [...replayAccess([]).writes!, TOPICS.orders.name],
      describeGroups: [...new Set(parseLagTargets(DEFAULT_LAG_TARGETS).map((t) => t.group))],
    },
    include: ["shared/dashboard/static"],
    summary: "web dashboard, live over SSE: rates, lag, recent orders, DLQ by reason with replay",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          "DASHBOARD_PORT",
          "DASHBOARD_HOST",
          "DASHBOARD_STATS_URL",
          "DASHBOARD_ORDERS_TOPIC",
          "DASHBOARD_STATUS_TOPIC",
          "DASHBOARD_DLQ_TOPICS",
          "DASHBOARD_LAG",
          "DASHBOARD_SCRAPE",
          "DASHBOARD_MAX_RATE",
          "DASHBOARD_LOAD_INVALID_RATE",
          "DASHBOARD_DLQ_REFRESH_SECONDS",
          "METRICS_PORT",
          "METRICS_HOST",
          "PROGRESS_INTERVAL",
          "LOG_LEVEL",
          ...httpServerEnv("DASHBOARD"),
        ].join(",")
      }`,
      // The page's own files (shared/dashboard/static, served as they are) and the TLS files.
      TLS_FILES_READ,
    ],
  },
  {
    name: "verify",
    entry: "scripts/verify.ts",
    // It reads with Kafka's Java consumer by partition (assign, no group): no group ACL.
    kafka: {
      reads: [
        TOPICS.inventoryOrders.name,
        TOPICS.deliveryOrders.name,
        TOPICS.ordersDlq.name,
        TOPICS.orderStatus.name,
      ],
      writes: [TOPICS.orders.name],
    },
    summary:
      "end-to-end exactly-once audit: tagged orders in, every output read back independently",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          ...PG_ENV,
          "DATABASE_URL",
          ...REGISTRY_ENV,
          "VERIFY_ORDERS_TOPIC",
          "VERIFY_INVENTORY_TOPIC",
          "VERIFY_DELIVERY_TOPIC",
          "VERIFY_DLQ_TOPIC",
          "VERIFY_STATUS_TOPIC",
          "VERIFY_COUNT",
          "VERIFY_TIMEOUT_SECONDS",
          "VERIFY_RUN_ID",
          "VERIFY_AUDIT_ONLY",
          "VERIFY_CHAOS",
          "VERIFY_CHAOS_MANIFEST",
          "VERIFY_CHAOS_KILLS",
          "VERIFY_CHAOS_NODE_KILLS",
          "VERIFY_CHAOS_SECONDS",
          "VERIFY_CLIENT_PROPERTIES",
          "KAFKA_TOOLS_CLASSPATH",
          "KAFKA_CACHE_DIR",
          "LOG_LEVEL",
        ].join(",")
      }`,
      // The SQLite store (opened read-only), the Java reader's source, the Kafka jars, --client-properties.
      "--allow-read",
      // The audit's reader is Apache Kafka's Java consumer.
      "--allow-run=java,kill",
    ],
  },
  {
    name: "local_kafka",
    entry: "scripts/local_kafka.ts",
    summary: "fetch and run a local Apache Kafka broker, or one of its tools",
    permissions: [
      "--allow-run=java,mvn,sh,openssl",
      "--allow-read",
      "--allow-write",
      "--allow-net=127.0.0.1",
      "--allow-env",
    ],
  },
  {
    name: "demo",
    entry: "scripts/demo.ts",
    summary: "bring the pipeline up on this machine and drive orders through it",
    permissions: [
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-run=java,mvn,sh,deno,openssl",
    ],
  },
] as ScriptEntry[]).map(withTlsFiles);
