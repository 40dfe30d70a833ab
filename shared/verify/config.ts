/**
 * `deno task verify`'s flags (scripts/verify.ts), importable without running
 * it: the service table (scripts/services.ts) derives its environment
 * variables and docs from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { logLevelFlag } from "../platform/log.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { registryFlags } from "../kafka/registry_connection.ts";
import { TOPICS } from "../kafka/topics.ts";

export const verifyConfig = defineConfig({
  name: "verify",
  summary: "sends tagged orders of every kind and audits that each arrives exactly once " +
    "where it belongs (target topics, DLQ, status stream, store) and nowhere else",
  flags: {
    ...kafkaFlags,
    ...registryFlags,
    databaseUrl: {
      type: "string",
      env: "DATABASE_URL",
      description: "the data consumers' store: postgres://… or sqlite:PATH [default: the " +
        "embedded SQLite file]",
    },
    ordersTopic: {
      type: "string",
      env: "VERIFY_ORDERS_TOPIC",
      default: TOPICS.orders.name,
      description: "raw orders topic the tagged orders are sent to",
    },
    inventoryTopic: {
      type: "string",
      env: "VERIFY_INVENTORY_TOPIC",
      default: TOPICS.inventoryOrders.name,
      description: "inventory target topic",
    },
    deliveryTopic: {
      type: "string",
      env: "VERIFY_DELIVERY_TOPIC",
      default: TOPICS.deliveryOrders.name,
      description: "delivery target topic",
    },
    dlqTopic: {
      type: "string",
      env: "VERIFY_DLQ_TOPIC",
      default: TOPICS.ordersDlq.name,
      description: "the routers' dead-letter topic",
    },
    statusTopic: {
      type: "string",
      env: "VERIFY_STATUS_TOPIC",
      default: TOPICS.orderStatus.name,
      description: "order status events topic",
    },
    count: {
      type: "number",
      integer: true,
      min: 1,
      max: 100_000,
      env: "VERIFY_COUNT",
      default: 20,
      description: "orders of each kind (inventory, delivery, invalid, other)",
    },
    timeoutSeconds: {
      type: "number",
      min: 1,
      env: "VERIFY_TIMEOUT_SECONDS",
      default: 120,
      description: "how long the audit waits for every output to be complete",
    },
    runId: {
      type: "string",
      env: "VERIFY_RUN_ID",
      description: "the run's id (letters and digits) [default: a fresh one]",
    },
    auditOnly: {
      type: "boolean",
      env: "VERIFY_AUDIT_ONLY",
      description: "send nothing: audit the run --run-id (with its --count) again",
    },
    clientProperties: {
      type: "string",
      env: "VERIFY_CLIENT_PROPERTIES",
      description: "Kafka client properties file for the Java reader (security.protocol, " +
        "sasl.mechanism, sasl.jaas.config, ssl.truststore.type=PEM, ssl.truststore.location)",
    },
    kafkaClasspath: {
      type: "string",
      env: "KAFKA_TOOLS_CLASSPATH",
      description: "the Kafka jars for the Java reader [default: the local Kafka's, in the cache]",
    },
    chaos: {
      type: "boolean",
      env: "VERIFY_CHAOS",
      description: "local only: while the orders flow, SIGKILL the demo's routers, consumers and " +
        "aggregator and its cluster's nodes (their supervisors restart them), then audit",
    },
    chaosManifest: {
      type: "string",
      env: "VERIFY_CHAOS_MANIFEST",
      description: "`--chaos`: the demo's run manifest [default: the demo's, in the cache]",
    },
    chaosKills: {
      type: "number",
      integer: true,
      min: 0,
      default: 20,
      env: "VERIFY_CHAOS_KILLS",
      description: "`--chaos`: script SIGKILLs, spread evenly over the scripts",
    },
    chaosNodeKills: {
      type: "number",
      integer: true,
      min: 0,
      default: 3,
      env: "VERIFY_CHAOS_NODE_KILLS",
      description: "`--chaos`: node SIGKILLs (one node down at a time; none on fewer than 3 nodes)",
    },
    chaosSeconds: {
      type: "number",
      min: 10,
      default: 120,
      env: "VERIFY_CHAOS_SECONDS",
      description: "`--chaos`: how long the kills are spread over",
    },
    logLevel: { ...logLevelFlag, default: "warn" },
  },
});
