import assert from "node:assert/strict";
import { scriptByName } from "../../scripts/services.ts";
import { jdbcUrl } from "../../shared/connect/connectors.ts";
import {
  CONNECT_CLUSTER,
  connectorConfigs,
  connectResources,
  connectTopics,
  connectWorkerConfig,
  DATABASE_SECRETS,
  databaseReferenced,
} from "./connect.ts";

const connect = scriptByName("connect")!;

Deno.test("databaseReferenced: every field, also inside a URL, becomes its env reference", () => {
  const config = databaseReferenced((db) => ({
    "url": jdbcUrl(db),
    "password": db.password,
    "port": String(db.port),
    "fixed": "1",
  }), "sink");
  assert.deepEqual(config, {
    "url":
      "jdbc:postgresql://${env:CONNECT_SINK_DATABASE_HOST}:${env:CONNECT_SINK_DATABASE_PORT}/" +
      "${env:CONNECT_SINK_DATABASE_DBNAME}",
    "password": "${env:CONNECT_SINK_DATABASE_PASSWORD}",
    "port": "${env:CONNECT_SINK_DATABASE_PORT}",
    "fixed": "1",
  });
});

Deno.test("databaseReferenced: a field in a form no reference stands for is refused", () => {
  assert.throws(
    () => databaseReferenced((db) => ({ "user": db.user.toUpperCase() }), "source"),
    /source connector's config holds a database field no reference makes/,
  );
  assert.throws(
    () => databaseReferenced((db) => ({ "tls": db.port > 60_001 ? "on" : "off" }), "source"),
    /no reference makes/,
  );
});

Deno.test("connectWorkerConfig: the local worker's group, topics and exactly-once, nothing Strimzi sets", () => {
  const config = connectWorkerConfig();
  assert.equal(config["group.id"], "order-pipeline-connect");
  assert.equal(config["offset.storage.topic"], "order-pipeline-connect.offsets");
  assert.equal(config["exactly.once.source.support"], "enabled");
  assert.equal(config["config.storage.replication.factor"], "3");
  for (const key of Object.keys(config)) {
    assert.doesNotMatch(key, /^(bootstrap\.servers|listeners|plugin\.path|rest\.|sasl\.|ssl\.)/);
  }
});

Deno.test("connectResources: the connect user over TLS, connectors labelled with the cluster", () => {
  const [cluster, ...connectors] = connectResources(connect);
  assert.equal(cluster.metadata.annotations?.["strimzi.io/use-connector-resources"], "true");
  assert.equal(cluster.spec.authentication.username, "connect");
  assert.equal(cluster.spec.authentication.passwordSecret.secretName, "connect");
  assert.ok(cluster.spec.replicas >= 1);
  assert.deepEqual(connectors.map((c) => c.metadata.name), Object.keys(connectorConfigs()));
  for (const c of connectors) {
    assert.equal(c.metadata.labels?.["strimzi.io/cluster"], CONNECT_CLUSTER);
    assert.equal(c.spec.tasksMax, 1);
    assert.equal(c.spec.config["connector.class"], undefined, "the class is spec.class");
    assert.equal(c.spec.config["tasks.max"], undefined, "the task count is spec.tasksMax");
  }
  // Each env variable a connector references is one the pod gets from a database Secret.
  const env = new Map(cluster.spec.template.connectContainer.env.map((e) => [e.name, e]));
  const secrets = Object.values(DATABASE_SECRETS).map((s) => s.name);
  for (const c of connectors) {
    for (const [, name] of JSON.stringify(c.spec.config).matchAll(/\$\{env:([A-Z_]+)\}/g)) {
      assert.ok(secrets.includes(env.get(name)?.valueFrom.secretKeyRef.name as never), name);
    }
  }
});

Deno.test("connectTopics: the worker's three topics, compacted, one partition of configs", () => {
  const topics = connectTopics();
  assert.deepEqual(topics.map((t) => t.spec.topicName), [
    "order-pipeline-connect.configs",
    "order-pipeline-connect.offsets",
    "order-pipeline-connect.status",
  ]);
  assert.deepEqual(topics.map((t) => t.metadata.name), [
    "order-pipeline-connect-configs",
    "order-pipeline-connect-offsets",
    "order-pipeline-connect-status",
  ]);
  assert.equal(topics[0].spec.partitions, 1);
  for (const t of topics) assert.equal(t.spec.config["cleanup.policy"], "compact");
});
