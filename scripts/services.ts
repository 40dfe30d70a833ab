/**
 * The service table: every runnable script, one row each: its name (binary,
 * Kafka principal, Prometheus job), entry, summary, deno task, permissions,
 * ports, the Kafka it touches and how the demo starts it. A script's
 * `--allow-env` list and ports are derived from its config definition (the
 * flags it declares, with their env names), plus what the libraries under
 * it read (@platformatic/kafka's debug, pg).
 *
 * Everything else is derived from this table or checked against it:
 * `deno task compile`, the ACL table ({@linkcode kafkaPrincipals}), the
 * Prometheus scrape jobs (deploy/prometheus/scrape_config.ts), the demo's
 * processes (scripts/dev/demo.ts), and, written by `deno task services`
 * (scripts/dev/services_generate.ts; the text is made by
 * scripts/dev/services_render.ts): deno.json's script tasks,
 * docs/configuration.md, the README's script table, compose.yaml's
 * permission flags, deploy/prometheus/prometheus.yml and the Kubernetes
 * manifests in deploy/kubernetes/.
 * tests/script_permissions_test.ts fails when one is out of date; the
 * dashboard's default process list and lag groups are checked against the
 * table by scripts/services_test.ts. Adding a service: its folder, one row.
 *
 * @example
 * ```ts
 * import { scriptByEntry } from "./services.ts";
 * const gateway = scriptByEntry("scripts/order_gateway.ts")!;
 * gateway.task; // "order-gateway"
 * gateway.permissions; // ["--allow-net", "--allow-env=…", "--allow-read"]
 * ```
 * @module
 */

import { flagName, type FlagSpecs } from "../shared/platform/config.ts";
import { DEFAULT_LAG_TARGETS, parseLagTargets } from "../shared/dashboard/lag_view.ts";
import { ledgerTopicName, transactionalIdFor } from "../shared/dlq_replay/ledger.ts";
import { dlqTopicName } from "../shared/retry/backoff.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE, type RouteSpec } from "../shared/router/routing_spec.ts";
import type { KafkaAccess } from "../shared/kafka/acls.ts";
import { TOPICS } from "../shared/kafka/topics.ts";
import {
  CONSUMERS,
  dlqTopics,
  failureTopics,
  retryTopics,
  ROUTER_RETRY_BASES,
} from "./topology.ts";
import { INVENTORY_DATA_CONSUMER } from "../consumers/inventory_data_consumer.ts";
import { DELIVERY_DATA_CONSUMER } from "../consumers/delivery_data_consumer.ts";
import { registryConfig } from "../shared/registry/config.ts";
import { gatewayConfig } from "../shared/intake/gateway_config.ts";
import { generatorConfig } from "../shared/intake/generator_config.ts";
import { importConfig } from "../shared/intake/import_config.ts";
import { carrierConfig } from "../shared/carrier/config.ts";
import { statusServiceConfig } from "../shared/order_status/config.ts";
import { dashboardConfig } from "../shared/dashboard/config.ts";
import { terminalDashboardConfig } from "../shared/terminal_dashboard/config.ts";
import { routingProducerConfig } from "../producers/routing_producer.ts";
import { dataConsumerConfig, type DataConsumerSpec } from "../consumers/data_consumer.ts";
import { verifyConfig } from "../shared/verify/config.ts";
import { aggregatorConfig } from "../shared/aggregate/aggregator_config.ts";
import { dlqReplayerConfig } from "../shared/dlq_replay/config.ts";
import { connectConfig } from "../shared/connect/config.ts";
import { connectAccess } from "../shared/connect/access.ts";
import { NOTIFIER_GROUP_ID, NOTIFIER_RETRY_BASE, notifierConfig } from "../shared/notify/config.ts";
import { smtpSinkConfig } from "./dev/smtp_sink.ts";

/** A port a script listens on by default, and the flag that moves it. */
export interface ServicePort {
  /** The flag's key in the config, e.g. `metricsPort`. */
  key: string;
  /** `--metrics-port`. */
  flag: string;
  env?: string;
  port: number;
  description: string;
}

/** What the demo hands each process it starts (scripts/dev/demo.ts). */
export interface DemoRun {
  registryUrl: string;
  databaseUrl: string;
  /** Seconds between progress lines. */
  statusInterval: number;
  /** Share of the data consumers' attempts that fail on purpose. */
  failureRate: number;
  load: { rate: number; mix: string; invalidRate: number } | undefined;
  /** Ports of the HTTP surfaces, undefined for one the demo leaves out; the SMTP sink's. */
  ports: { dashboard?: number; status: number; gateway: number; smtp: number };
  /** The env of a registry client (its credentials on a secured run). */
  registryEnv: Record<string, string>;
  /** The env of an HTTP surface with that env prefix (basic auth and TLS on a secured run). */
  httpEnv(prefix: string): Record<string, string>;
}

/** How the demo starts a script: its arguments besides `--brokers`, and its env. */
export interface DemoStart {
  args: string[];
  env?: Record<string, string>;
}

export interface ScriptEntry {
  /** Binary name under build/, Kafka principal and Prometheus job. */
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** What it does, in one line. */
  summary: string;
  /** A few sentences more for docs/configuration.md (markdown), when one line is not enough. */
  details?: string;
  /** Its task in deno.json: `deno task <task> --help`. */
  task: string;
  /** Deno permission flags, as narrow as the script allows. */
  permissions: string[];
  /** Its flags, from its config definition (docs/configuration.md lists them). */
  flags?: FlagSpecs;
  /** Every environment variable it may read: its flags' and its libraries'. */
  env?: string[];
  /** The ports it listens on by default (from its flags). */
  ports: ServicePort[];
  /** The flag of the port Prometheus scrapes `/metrics` on, when it is scraped. */
  scrape?: "metricsPort" | "port";
  /** Files a standalone binary must carry besides the code (`deno compile --include`). */
  include?: string[];
  /**
   * What it touches on Kafka with its default settings; the ACL table of its
   * principal (named after the script) is derived from this (shared/kafka/acls.ts).
   */
  kafka?: Omit<KafkaAccess, "principal">;
  /** How the demo starts it; undefined when the demo leaves it out this run. */
  demo?: (run: DemoRun) => DemoStart | undefined;
}

/**
 * Environment variables the Kafka client reads besides its flags' (which
 * every Kafka script declares through `kafkaFlags`, shared/kafka/connection.ts).
 */
export const KAFKA_LIBRARY_ENV = [
  // Topics created where missing take this replication (shared/kafka/topics.ts).
  "KAFKA_REPLICATION_FACTOR",
  // Read by libraries beneath the scripts when present (kafkajs did, before the move).
  "NODE_ENV",
  // Read by npm debug beneath @platformatic/kafka (its protocol traces).
  "DEBUG",
];

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

/** Every script that connects to Kafka, with its principal's access (principal = script name). */
export function kafkaPrincipals(): KafkaAccess[] {
  return SCRIPTS.filter((s) => s.kafka).map((s) => ({ principal: s.name, ...s.kafka }));
}

/** Finds a script by its entry file. */
export function scriptByEntry(entry: string): ScriptEntry | undefined {
  return SCRIPTS.find((s) => s.entry === entry);
}

/** Finds a script by its name. */
export function scriptByName(name: string): ScriptEntry | undefined {
  return SCRIPTS.find((s) => s.name === name);
}

/** The default port of `script`'s flag `key` (e.g. `metricsPort`); throws when it has none. */
export function defaultPort(script: ScriptEntry, key: string): number {
  const port = script.ports.find((p) => p.key === key)?.port;
  if (port === undefined) throw new Error(`${script.name} has no default --${flagName(key)}`);
  return port;
}

/** The env vars a spec's flags read, in their order. Pure. */
export function envOfFlags(flags: FlagSpecs): string[] {
  // A former env name still works (shared/platform/config.ts), so it is read too.
  return Object.values(flags).flatMap((f) =>
    [f.env, f.formerly?.env].filter((e) => e !== undefined)
  );
}

/** The listening ports a spec declares: number flags named `port` or `…Port` with a default. */
export function portsOfFlags(flags: FlagSpecs): ServicePort[] {
  return Object.entries(flags).flatMap(([key, f]) =>
    (key === "port" || key.endsWith("Port")) && f.type === "number" && f.default !== undefined &&
      f.default > 0
      ? [{
        key,
        flag: `--${flagName(key)}`,
        env: f.env,
        port: f.default,
        description: f.description,
      }]
      : []
  );
}

/**
 * One row as written below: the permissions a script needs beyond its
 * environment (which comes from its flags and libraries).
 */
interface ServiceRow extends Omit<ScriptEntry, "permissions" | "ports" | "task" | "env"> {
  /** Its deno task; the name in kebab case by default. */
  task?: string;
  /** Env vars read by libraries beneath it, besides its flags'. */
  libraryEnv?: string[];
  /** Env vars of its flags, for a script whose config definition is not importable. */
  flagEnv?: string[];
  /** Ports, for a script whose config definition is not importable. */
  ports?: ServicePort[];
  /** `true` for `--allow-read`, or its paths. */
  read?: true | string[];
  write?: true;
  run?: string[];
  /** Given as they are: the dev tools whose env and network are unbounded. */
  permissions?: string[];
}

function service(row: ServiceRow): ScriptEntry {
  const { libraryEnv, flagEnv, read, write, run, permissions, ...entry } = row;
  // A Kafka script reads the TLS files it is given (KAFKA_SSL_*_FILE), whose
  // paths are the user's to name, so it reads anywhere; so do the HTTP
  // surfaces (--tls-*-file). None reads a path a request names.
  const readAll = read === true || (row.kafka !== undefined && read === undefined);
  const env = [
    ...new Set([...(row.flags ? envOfFlags(row.flags) : flagEnv ?? []), ...(libraryEnv ?? [])]),
  ];
  return {
    ...entry,
    task: row.task ?? row.name.replaceAll("_", "-"),
    ports: row.ports ?? (row.flags ? portsOfFlags(row.flags) : []),
    env: permissions ? undefined : env,
    permissions: permissions ?? [
      "--allow-net",
      `--allow-env=${env.join(",")}`,
      ...(readAll ? ["--allow-read"] : read ? [`--allow-read=${read.join(",")}`] : []),
      ...(write ? ["--allow-write"] : []),
      ...(run ? [`--allow-run=${run.join(",")}`] : []),
      // npm debug (beneath @platformatic/kafka) lists the whole environment
      // as it loads: what is not granted reads as unset instead of failing.
      // The library tries a native CRC addon first; denied, it uses its own.
      ...(row.kafka ? ["--ignore-env", "--deny-ffi"] : []),
    ],
  };
}

/** A data consumer's Kafka access: its sources and their retries in; retries, DLQs, status and its change log out. */
function dataConsumerAccess(
  consumer: { sources: readonly { name: string }[]; groupId: string; changeLog?: { name: string } },
): ScriptEntry["kafka"] {
  const sources = consumer.sources.map((s) => s.name);
  const retries = sources.flatMap((s) => retryTopics(s));
  const changeLog = consumer.changeLog ? [consumer.changeLog.name] : [];
  return {
    reads: [...sources, ...retries],
    writes: [...retries, ...sources.map(dlqTopicName), TOPICS.orderStatus.name, ...changeLog],
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

/** The routing producer of `route`. */
function routingProducer(route: RouteSpec): ServiceRow {
  return {
    name: route.script,
    entry: `producers/${route.script}.ts`,
    summary:
      `routes ${route.type} orders to ${route.target.name}, Avro via the registry, exactly once`,
    flags: routingProducerConfig(route).specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    scrape: "metricsPort",
    kafka: {
      reads: [TOPICS.orders.name, ...retryTopics(ROUTER_RETRY_BASES[route.type])],
      writes: [
        route.target.name,
        TOPICS.ordersDlq.name,
        ...retryTopics(ROUTER_RETRY_BASES[route.type]),
      ],
      groups: [route.groupId],
      // One transactional producer per instance: <group>-<random>.
      transactionalIdPrefixes: [`${route.groupId}-`],
    },
    demo: (run) => ({
      args: ["--registry-url", run.registryUrl, "--progress-interval", `${run.statusInterval}`],
      env: run.registryEnv,
    }),
  };
}

/** The data consumer of `kind`, applying `effects`. */
function dataConsumer<R>(spec: DataConsumerSpec<R>): ServiceRow {
  return {
    name: spec.effects.script,
    entry: `consumers/${spec.effects.script}.ts`,
    summary: spec.summary,
    flags: dataConsumerConfig(spec).specs,
    libraryEnv: [...KAFKA_LIBRARY_ENV, ...PG_ENV],
    // The SQLite database file (and its -wal/-shm companions).
    read: true,
    write: true,
    scrape: "metricsPort",
    kafka: dataConsumerAccess(spec),
    demo: (run) => ({
      args: [
        "--registry-url",
        run.registryUrl,
        "--database-url",
        run.databaseUrl,
        "--inject-failure-rate",
        `${run.failureRate}`,
        "--progress-interval",
        `${run.statusInterval}`,
      ],
      env: run.registryEnv,
    }),
  };
}

/**
 * The rows, in the order the demo starts them: what consumes first, the
 * load last (it stops first).
 */
export const SCRIPTS: ScriptEntry[] = ([
  {
    name: "schema_registry",
    entry: "scripts/schema_registry.ts",
    task: "registry",
    summary: "Confluent-compatible schema registry, stored in a compacted Kafka topic",
    flags: registryConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    kafka: {
      reads: [TOPICS.schemas.name],
      writes: [TOPICS.schemas.name],
      groupPrefixes: ["schema-registry-loader-"],
    },
  },
  routingProducer(INVENTORY_ROUTE),
  routingProducer(DELIVERY_ROUTE),
  dataConsumer(INVENTORY_DATA_CONSUMER),
  dataConsumer(DELIVERY_DATA_CONSUMER),
  {
    name: "carrier_simulator",
    entry: "scripts/carrier_simulator.ts",
    summary: "stand-in for a carrier: dispatches, moves and delivers scheduled deliveries",
    flags: carrierConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    scrape: "metricsPort",
    kafka: {
      reads: [TOPICS.orderStatus.name],
      writes: [TOPICS.deliveryEvents.name],
      groups: ["carrier-simulator"],
    },
    demo: (run) => ({
      args: [
        "--registry-url",
        run.registryUrl,
        "--delay-ms",
        "2000",
        "--progress-interval",
        `${run.statusInterval}`,
      ],
      env: run.registryEnv,
    }),
  },
  {
    name: "aggregator",
    entry: "scripts/aggregator.ts",
    summary: "live order statistics and clickstream analytics, exactly once; GET /stats (SSE too)",
    details: "Reads `orders`, `order_status`, `clicks` and the pipeline's retry (`…-retry-<n>`) " +
      "and dead-letter (`…-dlq`) topics (found by patterns anchored to their default names: " +
      "`--retry-pattern`, `--dlq-pattern`), and keeps orders, value and average price (overall " +
      "and per type), sales and revenue, counts per status, retried and dead-lettered records, " +
      "orders per minute (tumbling windows), top products, most-viewed products over a sliding " +
      "window and view-to-order conversion. Exactly once across crashes: every second one Kafka " +
      "transaction writes its whole state to the compacted `order_stats` topic together with the " +
      "consumed offsets; on start it reads the last committed state back. `GET /stats` (JSON) and " +
      "`GET /stats/stream` (Server-Sent Events), shape in `shared/aggregate/snapshot.ts`. Run one " +
      "at a time: a second one with the same transactional id takes over.",
    flags: aggregatorConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    scrape: "metricsPort",
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
    demo: (run) => ({ args: ["--progress-interval", `${run.statusInterval}`] }),
  },
  {
    name: "dashboard",
    entry: "scripts/dashboard.ts",
    summary:
      "web dashboard, live over SSE: rates, lag, stock, recent orders, DLQ by rule with replay",
    details: "One page, live over Server-Sent Events, no build step: orders in and their rate, " +
      "the consumers' outcomes, throughput over five minutes, consumer lag per group and " +
      "partition, each script's `/metrics`, the latest orders with status badges, and the " +
      "dead-letter topics by reason with a Replay button per reason (once, through the " +
      "replayer's ledger). Start/Stop runs a small load of its own into `orders`. Its sources " +
      "are the aggregator (`--stats-url`), Kafka and the scripts' metrics ports " +
      "(`--scrape name=url`); each can be down on its own and the page says which. Run it from " +
      "the repository root (the page's files are read from `shared/dashboard/static`).",
    flags: dashboardConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    scrape: "metricsPort",
    kafka: {
      ...replayAccess(["dashboard-dlq-read-", "dashboard-tail-", "dashboard-stock-"]),
      reads: [
        ...replayAccess([]).reads!,
        TOPICS.orders.name,
        TOPICS.orderStatus.name,
        TOPICS.inventory.name,
      ],
      // The demo load it may start goes to the raw orders.
      writes: [...replayAccess([]).writes!, TOPICS.orders.name],
      describeGroups: [...new Set(parseLagTargets(DEFAULT_LAG_TARGETS).map((t) => t.group))],
    },
    include: ["shared/dashboard/static"],
    demo: (run) =>
      run.ports.dashboard === undefined ? undefined : {
        args: ["--port", `${run.ports.dashboard}`, "--registry-url", run.registryUrl],
        env: { ...run.httpEnv("DASHBOARD"), ...run.registryEnv },
      },
  },
  {
    name: "order_status_service",
    entry: "scripts/order_status_service.ts",
    summary: "GET /orders/:id: an order's current status and history, from order_status",
    flags: statusServiceConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    scrape: "port",
    kafka: { reads: [TOPICS.orderStatus.name], groupPrefixes: ["order-status-service-"] },
    demo: (run) => ({ args: ["--port", `${run.ports.status}`], env: run.httpEnv("STATUS") }),
  },
  {
    name: "smtp_sink",
    entry: "scripts/dev/smtp_sink.ts",
    summary: "local SMTP sink for tests and the demo: each message appended to a JSONL file",
    flags: smtpSinkConfig.specs,
    // It creates and appends to the file it is given.
    read: true,
    write: true,
    demo: (run) => ({ args: ["--port", `${run.ports.smtp}`] }),
  },
  {
    name: "notifier",
    entry: "scripts/notifier.ts",
    summary: "one email per customer-facing status change, over SMTP, once per event id",
    details: "Reads each order's optional `customerEmail` from `orders` into the store, and " +
      "sends one message per `order_status` event whose status is in `--statuses` (reserved, " +
      "refused, dispatched, delivered, failed) to `--smtp-host`:`--smtp-port`. A ledger row per " +
      "event id, written as soon as the server answers 250, keeps a re-read event from being " +
      "sent twice; a crash in the instant between the 250 and that write sends the message " +
      "again with the same Message-ID. SMTP 4xx and an unreachable relay are retried through " +
      "`notifications-retry-<n>`; a 5xx (a bad address) goes to `notifications-dlq` with the " +
      "reply as `dlq.reason`. Try it with `deno task smtp-sink`.",
    flags: notifierConfig.specs,
    libraryEnv: [...KAFKA_LIBRARY_ENV, ...PG_ENV],
    // The SQLite database file (and its -wal/-shm companions).
    read: true,
    write: true,
    scrape: "metricsPort",
    kafka: {
      reads: [TOPICS.orders.name, TOPICS.orderStatus.name, ...retryTopics(NOTIFIER_RETRY_BASE)],
      writes: [...retryTopics(NOTIFIER_RETRY_BASE), dlqTopicName(NOTIFIER_RETRY_BASE)],
      groups: [NOTIFIER_GROUP_ID],
      transactionalIdPrefixes: [`${NOTIFIER_GROUP_ID}-`],
    },
    demo: (run) => ({
      args: [
        "--database-url",
        run.databaseUrl,
        "--smtp-port",
        `${run.ports.smtp}`,
        "--progress-interval",
        `${run.statusInterval}`,
      ],
    }),
  },
  {
    name: "order_gateway",
    entry: "scripts/order_gateway.ts",
    summary: "HTTP intake: POST /orders into the raw orders topic, 202 once Kafka has them",
    flags: gatewayConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    scrape: "port",
    kafka: { writes: [TOPICS.orders.name] },
    demo: (run) => ({ args: ["--port", `${run.ports.gateway}`], env: run.httpEnv("GATEWAY") }),
  },
  {
    name: "order_generator",
    entry: "scripts/order_generator.ts",
    summary: "load generator: orders at a rate, count and type mix into the raw orders topic",
    flags: generatorConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    kafka: { writes: [TOPICS.orders.name, TOPICS.clicks.name] },
    demo: (run) =>
      run.load && {
        args: [
          "--rate",
          `${run.load.rate}`,
          "--mix",
          run.load.mix,
          "--invalid-rate",
          `${run.load.invalidRate}`,
          "--progress-interval",
          `${run.statusInterval}`,
        ],
      },
  },
  {
    name: "order_import",
    entry: "scripts/order_import.ts",
    summary: "NDJSON import from a file or stdin into the raw orders topic, every line validated",
    flags: importConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    // The file to import is the user's to name.
    read: true,
    kafka: { writes: [TOPICS.orders.name] },
  },
  {
    name: "dlq_replayer",
    entry: "scripts/dlq_replayer.ts",
    summary:
      "lists a dead-letter topic by rule and field, shows a record, replays a selection once",
    details: "`list` groups by the rule and field `dlq.reason` names, values left out " +
      "(`items[].quantity: must be a positive whole number`; count, sample values, already " +
      "replayed, oldest and newest, stage, class, replay topic); `show <partition>/<offset>` " +
      "prints headers and the value (JSON pretty-printed, Avro decoded through " +
      "`--registry-url`, else hex); `replay` takes `--all` or any of `--rule` (a group of " +
      "`list`), `--reason` (case-insensitive substring), `--order-id`, `--since`/`--until` " +
      "(ISO, on `dlq.failed.at`), with `--dry-run` and `--rate N`; a selection that all failed " +
      "validation is refused in one line unless `--force`. It sends each record to its " +
      "`dlq.replay.topic` with its key and bytes and fresh headers (`replay.of`, `replay.at`). " +
      "Each batch and its entries in the compacted ledger `<dlq>-replayed` commit in one " +
      "transaction, so the same replay run twice replays nothing the second time. E.g. " +
      "`deno task dlq-replayer list --topic orders-dlq`, `… replay --topic orders-dlq " +
      '--reason "not JSON" --dry-run`.',
    flags: dlqReplayerConfig.specs,
    libraryEnv: KAFKA_LIBRARY_ENV,
    kafka: replayAccess(["dlq-replayer-read-"]),
  },
  {
    name: "connect",
    entry: "scripts/connect.ts",
    summary: "Kafka Connect: a storefront's outbox into orders, order_status into PostgreSQL",
    details: "Fetches Apache Kafka's Connect runtime and Debezium's PostgreSQL source and JDBC " +
      "sink from Maven Central once (deploy/connect/pom.xml), starts the worker in distributed " +
      "mode (a JVM; REST API on loopback), registers `storefront-outbox` (an `orders_outbox` row " +
      "becomes a raw order on `orders`, exactly once through KIP-618 transactions) and " +
      "`order-status-report` (`order_status` upserted into `order_status_report` by topic, " +
      "partition and offset) and waits until both run. Its Kafka principal below is the " +
      "worker's. See docs/connect.md.",
    flags: connectConfig.specs,
    libraryEnv: [...PG_ENV, "KAFKA_CACHE_DIR"],
    // The jar cache and the worker's folder; the client properties file is the user's to name.
    read: true,
    write: true,
    run: ["java", "mvn"],
    scrape: "metricsPort",
    // Maven reads the pom from disk on the first run.
    include: ["deploy/connect/pom.xml"],
    kafka: connectAccess({
      groupId: connectConfig.specs.groupId.default,
      ordersTopic: connectConfig.specs.ordersTopic.default,
      statusTopic: connectConfig.specs.statusTopic.default,
    }),
  },
  {
    name: "terminal_dashboard",
    entry: "scripts/terminal_dashboard.ts",
    summary: "the live figures in a terminal, redrawn in place from the aggregator's stream",
    details: "The aggregator's headline figures, redrawn every second from `GET /stats/stream`: " +
      "orders per minute with a sparkline, totals and average price, per-type figures, status " +
      "counts, retries and dead letters, top and most-viewed products, conversion, and the " +
      "connection state. It reconnects by itself; Ctrl-C gives the terminal back. `--once` " +
      "prints one frame and exits (1 when there is no snapshot yet).",
    // Any host: the aggregator's address is the user's to give.
    flags: terminalDashboardConfig.specs,
  },
  {
    name: "verify",
    entry: "scripts/verify.ts",
    summary:
      "end-to-end exactly-once audit: tagged orders in, every output read back independently",
    details: "Tagged orders of every kind in, each output read back with Kafka's Java consumer " +
      "(read_committed) and plain SQL; exit 0 only if nothing is lost or duplicated. See the " +
      "README's Verify section.",
    flags: verifyConfig.specs,
    libraryEnv: [...KAFKA_LIBRARY_ENV, ...PG_ENV, "KAFKA_CACHE_DIR"],
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
    // The SQLite store (opened read-only), the Java reader's source, the Kafka jars, --client-properties.
    read: true,
    // The audit's reader is Apache Kafka's Java consumer.
    run: ["java", "kill"],
  },
  {
    name: "local_kafka",
    entry: "scripts/dev/local_kafka.ts",
    task: "kafka",
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
    entry: "scripts/dev/demo.ts",
    summary: "bring the pipeline up on this machine and drive orders through it",
    permissions: [
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-run=java,mvn,sh,deno,openssl",
    ],
  },
] satisfies ServiceRow[]).map(service);
