import assert from "node:assert/strict";
import type { AclBinding } from "../../shared/kafka/acls.ts";
import { renamed, TOPICS } from "../../shared/kafka/topics.ts";
import {
  kafkaCluster,
  kafkaTopic,
  kafkaTopics,
  kafkaUser,
  kubernetesName,
  strimziAclRules,
} from "./strimzi.ts";

Deno.test("kubernetesName: underscores become dashes, a leading one goes", () => {
  assert.equal(kubernetesName("inventory_orders_producer"), "inventory-orders-producer");
  assert.equal(kubernetesName("_schemas"), "schemas");
  assert.equal(kubernetesName("orders-dlq-replayed"), "orders-dlq-replayed");
  assert.throws(() => kubernetesName("__"), /makes no Kubernetes name/);
  assert.throws(() => kubernetesName("a".repeat(64)), /makes no Kubernetes name/);
});

Deno.test("strimziAclRules: every resource type, pattern and operation, one rule per resource", () => {
  const b = (
    resourceType: AclBinding["resourceType"],
    resourceName: string,
    operation: AclBinding["operation"],
    patternType: AclBinding["patternType"] = "LITERAL",
  ): AclBinding => ({ principal: "User:x", resourceType, resourceName, patternType, operation });
  assert.deepEqual(
    strimziAclRules([
      b("TOPIC", "orders", "READ"),
      b("TOPIC", "orders", "WRITE"),
      b("GROUP", "inventory-sync", "READ"),
      b("GROUP", "tail-", "READ", "PREFIXED"),
      b("GROUP", "inventory-sync", "DESCRIBE"),
      b("TRANSACTIONAL_ID", "order-aggregator", "WRITE"),
      b("TRANSACTIONAL_ID", "inventory-sync-", "WRITE", "PREFIXED"),
      b("CLUSTER", "kafka-cluster", "IDEMPOTENT_WRITE"),
    ]),
    [
      {
        resource: { type: "topic", name: "orders", patternType: "literal" },
        operations: ["Read", "Write"],
        host: "*",
      },
      {
        resource: { type: "group", name: "inventory-sync", patternType: "literal" },
        operations: ["Read", "Describe"],
        host: "*",
      },
      {
        resource: { type: "group", name: "tail-", patternType: "prefix" },
        operations: ["Read"],
        host: "*",
      },
      {
        resource: { type: "transactionalId", name: "order-aggregator", patternType: "literal" },
        operations: ["Write"],
        host: "*",
      },
      {
        resource: { type: "transactionalId", name: "inventory-sync-", patternType: "prefix" },
        operations: ["Write"],
        host: "*",
      },
      { resource: { type: "cluster" }, operations: ["IdempotentWrite"], host: "*" },
    ],
  );
});

Deno.test("kafkaUser: SCRAM-SHA-512, named after the principal in Kubernetes spelling", () => {
  const user = kafkaUser({ principal: "order_gateway", writes: ["orders"] });
  assert.equal(user.metadata.name, "order-gateway");
  assert.equal(user.spec.authentication.type, "scram-sha-512");
  assert.deepEqual(user.spec.authorization.acls.map((r) => r.operations), [
    ["Write"],
    ["IdempotentWrite"],
  ]);
});

Deno.test("kafkaTopic: the table's partitions and cleanup, replication 3 with 2 in sync", () => {
  const orders = kafkaTopic(TOPICS.orders);
  assert.deepEqual(orders.spec, {
    topicName: "orders",
    partitions: 6,
    replicas: 3,
    config: {
      "cleanup.policy": "delete",
      "retention.ms": String(7 * 24 * 60 * 60 * 1000),
      "min.insync.replicas": "2",
      "unclean.leader.election.enable": "false",
    },
  });
  const stats = kafkaTopic(TOPICS.orderStats);
  assert.equal(stats.spec.config["cleanup.policy"], "compact");
  assert.equal(stats.spec.config["retention.ms"], undefined);
  assert.equal(kafkaTopic(TOPICS.schemas).metadata.name, "schemas");
});

Deno.test("kafkaTopics: two topics with one Kubernetes name are refused", () => {
  assert.throws(
    () => kafkaTopics([TOPICS.inventoryOrders, renamed(TOPICS.orders, "inventory-orders")]),
    /two topics make the KafkaTopic name inventory-orders/,
  );
});

Deno.test("kafkaCluster: KRaft node pool of three, SCRAM over TLS, simple authorization", () => {
  const [kafka, pool] = kafkaCluster();
  assert.equal(kafka.metadata.annotations?.["strimzi.io/node-pools"], "enabled");
  assert.deepEqual(kafka.spec.kafka.listeners.map((l) => [l.tls, l.authentication.type]), [
    [true, "scram-sha-512"],
  ]);
  assert.equal(kafka.spec.kafka.authorization.type, "simple");
  assert.equal(kafka.spec.kafka.config["min.insync.replicas"], 2);
  assert.equal(pool.spec.replicas, 3);
  assert.deepEqual(pool.spec.roles, ["controller", "broker"]);
  assert.equal(pool.metadata.labels?.["strimzi.io/cluster"], kafka.metadata.name);
});
