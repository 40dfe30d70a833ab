/**
 * What the Kafka Connect worker runs, as data: the worker's properties, the
 * storefront's outbox source (Debezium's PostgreSQL connector with its
 * outbox event router) and the reporting sink (Debezium's JDBC sink), each
 * built from one settings object. Nothing here does I/O: scripts/connect.ts
 * writes the properties file and sends the connector configs to the
 * worker's REST API; the README shows what these functions return.
 *
 * The outbox source writes exactly what the order intake writes to
 * `orders` (shared/intake/intake.ts, `orderMessage`): the order's JSON as
 * the value, the order id as the key, a `content-type: application/json`
 * header. So the routing producers read an order placed in the storefront's
 * database like any other; the router also adds the outbox row's id as an
 * `id` header, which nothing downstream reads.
 *
 * @example
 * ```ts
 * import { outboxSourceConfig, DEFAULT_OUTBOX } from "./connectors.ts";
 * const config = outboxSourceConfig({
 *   ...DEFAULT_OUTBOX,
 *   database: { host: "127.0.0.1", port: 5432, user: "postgres", password: "", name: "shop" },
 *   ordersTopic: "orders",
 * });
 * config["transforms.outbox.type"]; // "io.debezium.transforms.outbox.EventRouter"
 * ```
 * @module
 */

import { TOPICS } from "../kafka/topics.ts";
import type { RawOrder } from "../orders/model.ts";
import { orderMessage } from "../intake/intake.ts";

/** Where a PostgreSQL database is, as the connectors want it (not as a URL). */
export interface DatabaseAddress {
  host: string;
  port: number;
  user: string;
  password: string;
  name: string;
}

/**
 * Splits a `postgres://user:password@host:port/database` URL; throws a
 * RangeError naming what is missing. Pure.
 */
export function databaseAddress(url: string): DatabaseAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`"${url}" is not a URL (postgres://user@host:port/database)`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new RangeError(`"${url}" is not a postgres:// URL`);
  }
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!name) throw new RangeError(`"${url}" names no database (postgres://…/database)`);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || "postgres",
    password: decodeURIComponent(parsed.password),
    name,
  };
}

/** A connector's config as the REST API takes it: every value a string. */
export type ConnectorConfig = Record<string, string>;

/**
 * The worker's internal topics, named after its group so that two clusters
 * never share them (`<group>.configs`, `.offsets`, `.status`: the dot keeps
 * them apart from the pipeline's own topics).
 */
export function workerTopics(
  groupId: string,
): { configs: string; offsets: string; status: string } {
  return {
    configs: `${groupId}.configs`,
    offsets: `${groupId}.offsets`,
    status: `${groupId}.status`,
  };
}

/**
 * The transactional id the worker's leader writes the config topic with
 * when exactly-once source support is on (Kafka's naming, KIP-618).
 */
export function workerTransactionalId(groupId: string): string {
  return `connect-cluster-${groupId}`;
}

/** The prefix of a source task's transactional ids: `<group>-<connector>-<task>` (KIP-618). */
export function sourceTransactionalIdPrefix(groupId: string, connector: string): string {
  return `${groupId}-${connector}-`;
}

/** The consumer group of a sink connector (Kafka's naming). */
export function sinkGroupId(connector: string): string {
  return `connect-${connector}`;
}

/** What the worker needs to know: cluster, group, REST address, plugins. */
export interface WorkerSettings {
  brokers: string[];
  groupId: string;
  restHost: string;
  restPort: number;
  /** The folder that holds one folder per connector plugin. */
  pluginPath: string;
  /** Replication of the internal topics; -1 takes the broker's default. */
  replicationFactor: number;
  /**
   * Client settings for a secured cluster (security.protocol, sasl.*,
   * ssl.*): given to the worker's own clients and, prefixed, to the
   * producers, consumers and admin clients it makes for connectors.
   */
  clientProperties: Record<string, string>;
}

/** The worker's properties file (`ConnectDistributed <file>`), one `key=value` a line. Pure. */
export function workerProperties(s: WorkerSettings): string {
  const topics = workerTopics(s.groupId);
  const entries: [string, string][] = [
    ["bootstrap.servers", s.brokers.join(",")],
    ["group.id", s.groupId],
    ["config.storage.topic", topics.configs],
    ["offset.storage.topic", topics.offsets],
    ["status.storage.topic", topics.status],
    ["config.storage.replication.factor", String(s.replicationFactor)],
    ["offset.storage.replication.factor", String(s.replicationFactor)],
    ["status.storage.replication.factor", String(s.replicationFactor)],
    // KIP-618: a source task's records and its offsets commit in one Kafka transaction.
    ["exactly.once.source.support", "enabled"],
    // The sink reads only committed status events, like every other reader here.
    ["consumer.isolation.level", "read_committed"],
    ["key.converter", "org.apache.kafka.connect.storage.StringConverter"],
    ["value.converter", "org.apache.kafka.connect.storage.StringConverter"],
    ["listeners", `http://${s.restHost}:${s.restPort}`],
    ["rest.advertised.host.name", s.restHost],
    ["rest.advertised.port", String(s.restPort)],
    ["plugin.path", s.pluginPath],
    // Offsets of at-least-once connectors (the sink) are committed this often.
    ["offset.flush.interval.ms", "1000"],
  ];
  for (const [key, value] of Object.entries(s.clientProperties)) {
    for (const prefix of ["", "producer.", "consumer.", "admin."]) {
      entries.push([`${prefix}${key}`, value]);
    }
  }
  return entries.map(([k, v]) => `${k}=${escapeProperty(v)}`).join("\n") + "\n";
}

/** Escapes a value for a Java properties file (backslashes, line breaks). Pure. */
function escapeProperty(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** Reads `key=value` lines of a Java client properties file (comments and blanks skipped). Pure. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const at = line.search(/[=:]/);
    if (at <= 0) throw new RangeError(`"${line}" is not key=value`);
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/** The storefront's outbox: table and column names, and the connector's own names. */
export interface OutboxSettings {
  /** The connector's name on the worker (also Debezium's topic prefix). */
  connector: string;
  /** `schema.table` of the outbox. */
  table: string;
  /** The replication slot and publication Debezium reads through. */
  slot: string;
  publication: string;
}

export const DEFAULT_OUTBOX: OutboxSettings = {
  connector: "storefront-outbox",
  table: "public.orders_outbox",
  slot: "storefront_outbox",
  publication: "storefront_outbox",
};

/**
 * The storefront's tables: its own order row and the outbox row written in
 * the same transaction ({@linkcode placeOrderStatements}). The outbox
 * columns are the ones Debezium's event router reads by default (`id`,
 * `aggregatetype`, `aggregateid`, `type`, `payload`), plus the content type
 * that becomes the record's header. `payload` is jsonb: PostgreSQL refuses a
 * row whose payload is not JSON, so a malformed order never reaches Kafka.
 */
export const STOREFRONT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS storefront_orders (
  order_id    text PRIMARY KEY,
  customer_id text NOT NULL,
  total       numeric(12, 2),
  placed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders_outbox (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  aggregatetype text NOT NULL DEFAULT 'order',
  aggregateid   text NOT NULL,
  type          text NOT NULL DEFAULT 'OrderPlaced',
  payload       jsonb NOT NULL,
  content_type  text NOT NULL DEFAULT 'application/json',
  created_at    timestamptz NOT NULL DEFAULT now()
);
`;

/**
 * The two statements a storefront runs in one transaction to place `order`:
 * its own row, and the outbox row the connector turns into the raw order:
 * the order intake's record ({@linkcode orderMessage}), its key, value and
 * content type in the outbox's columns. Pure: SQL and parameters for any client.
 */
export function placeOrderStatements(order: RawOrder): { text: string; values: unknown[] }[] {
  const record = orderMessage(order);
  return [
    {
      text: "INSERT INTO storefront_orders (order_id, customer_id, total) VALUES ($1, $2, $3)",
      values: [order.orderId, order.customerId, order.total ?? null],
    },
    {
      text: "INSERT INTO orders_outbox (aggregateid, payload, content_type) VALUES ($1, $2, $3)",
      values: [record.key, record.value, record.headers?.[CONTENT_TYPE]],
    },
  ];
}

/** The header the outbox's `content_type` column becomes (the intake's). */
const CONTENT_TYPE = "content-type";

/** The outbox source's config: `outbox` of `database`, into `ordersTopic`. Pure. */
export function outboxSourceConfig(
  s: OutboxSettings & { database: DatabaseAddress; ordersTopic: string },
): ConnectorConfig {
  return {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    // Debezium's PostgreSQL connector reads one replication slot: one task.
    "tasks.max": "1",
    "plugin.name": "pgoutput",
    "database.hostname": s.database.host,
    "database.port": String(s.database.port),
    "database.user": s.database.user,
    "database.password": s.database.password,
    "database.dbname": s.database.name,
    "topic.prefix": s.connector,
    "table.include.list": s.table,
    "slot.name": s.slot,
    "publication.name": s.publication,
    "publication.autocreate.mode": "filtered",
    // Outbox rows are events from the moment the slot exists; old rows are not replayed.
    "snapshot.mode": "no_data",
    "tombstones.on.delete": "false",
    // Without Debezium's own `__debezium.context.*` headers: the record is the intake's.
    "extended.headers.enabled": "false",
    // KIP-618: each poll's records and the slot position they came from commit together.
    "exactly.once.support": "required",
    "transaction.boundary": "poll",
    // Where the topic is missing (and the principal may create it), as `orders` is declared.
    "topic.creation.default.partitions": String(TOPICS.orders.partitions),
    "topic.creation.default.replication.factor": String(TOPICS.orders.replication),
    "topic.creation.default.cleanup.policy": TOPICS.orders.cleanup,
    "topic.creation.default.retention.ms": String(TOPICS.orders.retentionMs),
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "transforms": "outbox",
    "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
    "transforms.outbox.table.field.event.id": "id",
    "transforms.outbox.table.field.event.key": "aggregateid",
    "transforms.outbox.table.field.event.payload": "payload",
    "transforms.outbox.table.expand.json.payload": "false",
    "transforms.outbox.table.fields.additional.placement": `content_type:header:${CONTENT_TYPE}`,
    // Every outbox row is an order: one topic, whatever its aggregate type.
    "transforms.outbox.route.by.field": "aggregatetype",
    "transforms.outbox.route.topic.replacement": s.ordersTopic,
  };
}

/** The reporting sink: its connector name and table. */
export interface StatusSinkSettings {
  connector: string;
  table: string;
}

export const DEFAULT_STATUS_SINK: StatusSinkSettings = {
  connector: "order-status-report",
  table: "order_status_report",
};

/**
 * The reporting table, keyed by each status event's place in Kafka (topic,
 * partition, offset): the sink writes each record once however often it is
 * redelivered (an upsert on that key). The event is kept whole as JSON text;
 * its id, order, source, status and time are columns PostgreSQL derives from
 * it. A status event the consumers republished (same `event_id`) is a second
 * row; `SELECT DISTINCT ON (event_id)` reads each change once.
 */
export function statusReportSchemaSql(table: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${table} (
  __connect_topic     text NOT NULL,
  __connect_partition integer NOT NULL,
  __connect_offset    bigint NOT NULL,
  event               text NOT NULL,
  event_id  text GENERATED ALWAYS AS (event::jsonb ->> 'eventId') STORED,
  order_id  text GENERATED ALWAYS AS (event::jsonb ->> 'orderId') STORED,
  source    text GENERATED ALWAYS AS (event::jsonb ->> 'source') STORED,
  status    text GENERATED ALWAYS AS (event::jsonb ->> 'status') STORED,
  PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset)
);
CREATE INDEX IF NOT EXISTS ${table}_order_id ON ${table} (order_id);
`;
}

/** A JDBC URL for `database` (PostgreSQL's driver). Pure. */
export function jdbcUrl(database: DatabaseAddress): string {
  return `jdbc:postgresql://${database.host}:${database.port}/${encodeURIComponent(database.name)}`;
}

/** The sink's config: `statusTopic` into `table` of `database`. Pure. */
export function statusSinkConfig(
  s: StatusSinkSettings & { database: DatabaseAddress; statusTopic: string },
): ConnectorConfig {
  return {
    "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
    "tasks.max": "1",
    "topics": s.statusTopic,
    "connection.url": jdbcUrl(s.database),
    "connection.username": s.database.user,
    "connection.password": s.database.password,
    // HikariCP instead of the default Agroal (see deploy/connect/pom.xml).
    "connection.provider": "org.hibernate.hikaricp.internal.HikariCPConnectionProvider",
    "collection.name.format": s.table,
    // The table is created by scripts/connect.ts ({@linkcode statusReportSchemaSql}).
    "schema.evolution": "none",
    "insert.mode": "upsert",
    "primary.key.mode": "kafka",
    // Status events are schemaless JSON: the sink gets each as one text field, `event`.
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "transforms": "wrap",
    "transforms.wrap.type": "org.apache.kafka.connect.transforms.HoistField$Value",
    "transforms.wrap.field": "event",
  };
}
