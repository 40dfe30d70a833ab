import assert from "node:assert/strict";
import { scriptByName, type ScriptEntry, SCRIPTS } from "../../scripts/services.ts";
import {
  containerEnv,
  deployedScripts,
  deployment,
  lagReader,
  probeOf,
  scaledObject,
  SCALING,
  scalingOf,
} from "./workloads.ts";

const script = (name: string): ScriptEntry => scriptByName(name)!;

Deno.test("SCALING decides every long-running script, and only those", () => {
  const deployed = deployedScripts(SCRIPTS).map((s) => s.name);
  assert.deepEqual(Object.keys(SCALING).sort(), [...deployed].sort());
  assert.ok(!deployed.includes("dlq_replayer"), "a one-shot tool is no Deployment");
  const stranger = { ...script("order_gateway"), name: "new_service" };
  assert.throws(() => scalingOf(stranger), /add its row to SCALING/);
});

Deno.test("a script with a fixed transactional id never scales; one with per-instance ids may", () => {
  for (const s of deployedScripts(SCRIPTS)) {
    const scaling = scalingOf(s);
    if (s.kafka?.transactionalIds?.length) assert.equal(scaling.kind, "single", s.name);
    if (scaling.kind === "lag") assert.equal(s.kafka?.groups?.length, 1, s.name);
  }
  const aggregator = deployment(script("aggregator"), SCRIPTS);
  assert.equal(aggregator.spec.replicas, 1);
  assert.equal(aggregator.spec.strategy.type, "Recreate");
  // Under KEDA the HPA owns the count.
  assert.equal(deployment(script("inventory_data_consumer"), SCRIPTS).spec.replicas, undefined);
});

Deno.test("containerEnv: only variables the script may read; secrets by reference", () => {
  for (const s of deployedScripts(SCRIPTS)) {
    for (const variable of containerEnv(s, SCRIPTS)) {
      assert.ok(s.env?.includes(variable.name), `${s.name} may not read ${variable.name}`);
    }
  }
  const env = containerEnv(script("inventory_data_consumer"), SCRIPTS);
  const get = (name: string) => env.find((e) => e.name === name);
  assert.deepEqual(get("KAFKA_SASL_USERNAME"), {
    name: "KAFKA_SASL_USERNAME",
    value: "inventory-data-consumer",
  });
  assert.deepEqual(get("KAFKA_SASL_PASSWORD"), {
    name: "KAFKA_SASL_PASSWORD",
    valueFrom: { secretKeyRef: { name: "inventory-data-consumer", key: "password" } },
  });
  assert.ok(get("DATABASE_URL") && "valueFrom" in get("DATABASE_URL")!);
  assert.deepEqual(get("METRICS_HOST"), { name: "METRICS_HOST", value: "0.0.0.0" });
  assert.deepEqual(get("CONSUMER_CREATE_TOPICS"), {
    name: "CONSUMER_CREATE_TOPICS",
    value: "false",
  });
  const dashboard = containerEnv(script("dashboard"), SCRIPTS);
  assert.deepEqual(dashboard.find((e) => e.name === "DASHBOARD_STATS_URL"), {
    name: "DASHBOARD_STATS_URL",
    value: "http://aggregator:8083",
  });
});

Deno.test("probeOf: /metrics where scraped, /healthz on an HTTP surface, the port otherwise", () => {
  assert.deepEqual(probeOf(script("aggregator")), {
    httpGet: { path: "/metrics", port: "metrics" },
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 6,
  });
  const gateway = probeOf(script("order_gateway"));
  assert.ok("httpGet" in gateway && gateway.httpGet.path === "/healthz");
  assert.ok("tcpSocket" in probeOf(script("schema_registry")));
});

Deno.test("scaledObject: a trigger per source topic, at most its partitions", () => {
  const delivery = scaledObject(script("delivery_data_consumer"));
  assert.deepEqual(
    delivery.spec.triggers.map((t) => [t.metadata.consumerGroup, t.metadata.topic]),
    [
      ["delivery-tracker", "delivery_orders"],
      ["delivery-tracker", "delivery_events"],
    ],
  );
  assert.equal(delivery.spec.maxReplicaCount, 6);
  assert.equal(
    scaledObject(script("inventory_orders_producer")).spec.triggers[0].metadata.topic,
    "orders",
  );
  assert.throws(() => scaledObject(script("order_gateway")), /exactly one group/);
});

Deno.test("lagReader: Describe on the scaled groups and their topics, nothing else", () => {
  const { user, auth } = lagReader([script("inventory_data_consumer")]);
  assert.deepEqual(user.spec.authorization.acls, [
    {
      resource: { type: "group", name: "inventory-sync", patternType: "literal" },
      operations: ["Describe"],
      host: "*",
    },
    {
      resource: { type: "topic", name: "inventory_orders", patternType: "literal" },
      operations: ["Describe"],
      host: "*",
    },
  ]);
  assert.deepEqual(auth.spec.secretTargetRef.map((r) => r.parameter), [
    "sasl",
    "tls",
    "username",
    "password",
    "ca",
  ]);
});
