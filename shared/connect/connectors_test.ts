import assert from "node:assert/strict";
import {
  databaseAddress,
  DEFAULT_OUTBOX,
  DEFAULT_STATUS_SINK,
  jdbcUrl,
  outboxSourceConfig,
  parseProperties,
  placeOrderStatements,
  statusReportSchemaSql,
  statusSinkConfig,
  workerProperties,
  workerTopics,
} from "./connectors.ts";
import { orderMessage } from "../intake/intake.ts";
import type { RawOrder } from "../orders/model.ts";

const DB = { host: "db.example", port: 5433, user: "shop", password: "s3cret", name: "shop" };

Deno.test("databaseAddress splits a postgres URL, with PostgreSQL's defaults", () => {
  assert.deepEqual(databaseAddress("postgres://shop:s3cret@db.example:5433/shop"), DB);
  assert.deepEqual(databaseAddress("postgresql://db.example/shop"), {
    host: "db.example",
    port: 5432,
    user: "postgres",
    password: "",
    name: "shop",
  });
});

Deno.test("databaseAddress names what is wrong with a URL", () => {
  assert.throws(() => databaseAddress("not a url"), /is not a URL/);
  assert.throws(() => databaseAddress("mysql://h/db"), /is not a postgres:\/\/ URL/);
  assert.throws(() => databaseAddress("postgres://h:1/"), /names no database/);
});

Deno.test("workerProperties: internal topics after the group, KIP-618 on, REST on the address given", () => {
  const text = workerProperties({
    brokers: ["k1:9092", "k2:9092"],
    groupId: "shop-connect",
    restHost: "127.0.0.1",
    restPort: 8093,
    pluginPath: "/opt/plugins",
    replicationFactor: -1,
    clientProperties: {},
  });
  const props = parseProperties(text);
  assert.equal(props["bootstrap.servers"], "k1:9092,k2:9092");
  assert.equal(props["config.storage.topic"], workerTopics("shop-connect").configs);
  assert.equal(props["offset.storage.topic"], "shop-connect.offsets");
  assert.equal(props["status.storage.topic"], "shop-connect.status");
  assert.equal(props["offset.storage.replication.factor"], "-1");
  assert.equal(props["exactly.once.source.support"], "enabled");
  assert.equal(props["consumer.isolation.level"], "read_committed");
  assert.equal(props["listeners"], "http://127.0.0.1:8093");
  assert.equal(props["plugin.path"], "/opt/plugins");
});

Deno.test("workerProperties gives the client properties to the worker and to every client it makes", () => {
  const props = parseProperties(workerProperties({
    brokers: ["k:9093"],
    groupId: "g",
    restHost: "127.0.0.1",
    restPort: 1,
    pluginPath: "/p",
    replicationFactor: 3,
    clientProperties: { "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512" },
  }));
  for (const prefix of ["", "producer.", "consumer.", "admin."]) {
    assert.equal(props[`${prefix}security.protocol`], "SASL_SSL");
    assert.equal(props[`${prefix}sasl.mechanism`], "SCRAM-SHA-512");
  }
});

Deno.test("parseProperties skips comments and blanks and refuses a line without a value", () => {
  assert.deepEqual(parseProperties("# c\n\n! c\na=1\nb = two=2\nc:3\n"), {
    a: "1",
    b: "two=2",
    c: "3",
  });
  assert.throws(() => parseProperties("just-a-key"), /is not key=value/);
});

const ORDER: RawOrder = {
  orderId: "ord-1",
  type: "inventory",
  customerId: "cust-7",
  items: [{ sku: "SKU-1001", quantity: 2, unitPrice: 19.99 }],
  createdAt: "2024-06-18T12:34:56Z",
};

Deno.test("placeOrderStatements: the storefront's row and the outbox row, keyed and valued as the intake's record", () => {
  const [own, outbox] = placeOrderStatements(ORDER);
  assert.match(own.text, /^INSERT INTO storefront_orders/);
  assert.deepEqual(own.values, ["ord-1", "cust-7", null]);
  assert.match(outbox.text, /^INSERT INTO orders_outbox \(aggregateid, payload, content_type\)/);
  assert.deepEqual(outbox.values, ["ord-1", JSON.stringify(ORDER), "application/json"]);
});

Deno.test("outboxSourceConfig: the event router turns an outbox row into the intake's record on the orders topic", () => {
  const config = outboxSourceConfig({
    ...DEFAULT_OUTBOX,
    database: DB,
    ordersTopic: "shop-orders",
  });
  assert.equal(config["connector.class"], "io.debezium.connector.postgresql.PostgresConnector");
  assert.equal(config["database.hostname"], "db.example");
  assert.equal(config["database.port"], "5433");
  assert.equal(config["table.include.list"], "public.orders_outbox");
  assert.equal(config["exactly.once.support"], "required");
  assert.equal(config["transforms.outbox.route.topic.replacement"], "shop-orders");
  assert.equal(config["transforms.outbox.table.field.event.key"], "aggregateid");
  assert.equal(config["transforms.outbox.table.expand.json.payload"], "false");
  // The intake's header (shared/intake/intake.ts), from the outbox's content_type column.
  const intakeHeader = Object.keys(orderMessage(ORDER).headers!)[0];
  assert.equal(
    config["transforms.outbox.table.fields.additional.placement"],
    `content_type:header:${intakeHeader}`,
  );
  assert.equal(config["value.converter"], "org.apache.kafka.connect.storage.StringConverter");
  assert.ok(Object.values(config).every((v) => typeof v === "string"));
});

Deno.test("statusSinkConfig: status events upserted by their place in Kafka into the report table", () => {
  const config = statusSinkConfig({ ...DEFAULT_STATUS_SINK, database: DB, statusTopic: "st" });
  assert.equal(config["topics"], "st");
  assert.equal(config["connection.url"], "jdbc:postgresql://db.example:5433/shop");
  assert.equal(config["connection.username"], "shop");
  assert.equal(config["collection.name.format"], "order_status_report");
  assert.equal(config["insert.mode"], "upsert");
  assert.equal(config["primary.key.mode"], "kafka");
  assert.equal(config["transforms.wrap.field"], "event");
});

Deno.test("statusReportSchemaSql keys the table by the columns the sink's kafka key mode writes", () => {
  const sql = statusReportSchemaSql("report");
  assert.match(sql, /CREATE TABLE IF NOT EXISTS report/);
  assert.match(sql, /PRIMARY KEY \(__connect_topic, __connect_partition, __connect_offset\)/);
  assert.match(sql, /event_id\s+text GENERATED ALWAYS AS \(event::jsonb ->> 'eventId'\)/);
});

Deno.test("jdbcUrl encodes the database name", () => {
  assert.equal(jdbcUrl({ ...DB, name: "my shop" }), "jdbc:postgresql://db.example:5433/my%20shop");
});
