import assert from "node:assert/strict";
import {
  defaultPort,
  envOfFlags,
  kafkaPrincipals,
  portsOfFlags,
  scriptByEntry,
  scriptByName,
  SCRIPTS,
} from "./services.ts";
import { SCRAPE_JOBS } from "../deploy/prometheus/scrape_config.ts";
import { DEFAULT_LAG_TARGETS, parseLagTargets } from "../shared/dashboard/lag_view.ts";
import { DEFAULT_SCRAPE_TARGETS } from "../shared/dashboard/prometheus.ts";
import { gatewayConfig } from "../shared/intake/gateway_config.ts";
import { dashboardConfig } from "../shared/dashboard/config.ts";
import { dlqTopics } from "./topology.ts";

Deno.test("one row per script: names, entries and tasks are unique", () => {
  for (const key of ["name", "entry", "task"] as const) {
    const values = SCRIPTS.map((s) => s[key]);
    assert.equal(new Set(values).size, values.length, `${key}s are unique`);
  }
  assert.equal(scriptByEntry("scripts/order_gateway.ts")?.name, "order_gateway");
  assert.equal(scriptByName("order_gateway")?.task, "order-gateway");
});

Deno.test("a script may read every env var its flags declare, and its libraries'", () => {
  const gateway = scriptByName("order_gateway")!;
  assert.ok(gateway.env!.includes("GATEWAY_PORT") && gateway.env!.includes("GATEWAY_HOST"));
  for (const env of [...envOfFlags(gatewayConfig.specs), "KAFKA_REPLICATION_FACTOR", "DEBUG"]) {
    assert.ok(gateway.env!.includes(env), env);
  }
  assert.ok(gateway.permissions.includes(`--allow-env=${gateway.env!.join(",")}`));
  const consumer = scriptByName("inventory_data_consumer")!;
  assert.ok(consumer.env!.includes("PGHOST") && consumer.env!.includes("DATABASE_URL"));
  for (const s of SCRIPTS) {
    if (!s.flags) continue;
    for (const env of envOfFlags(s.flags)) assert.ok(s.env?.includes(env), `${s.name}: ${env}`);
  }
});

Deno.test("ports come from the flags: port flags with a default above 0", () => {
  assert.deepEqual(
    portsOfFlags({
      port: { type: "number", env: "X_PORT", default: 8080, description: "p" },
      metricsPort: { type: "number", default: 0, description: "off by default" },
      count: { type: "number", default: 3, description: "not a port" },
    }),
    [{ key: "port", flag: "--port", env: "X_PORT", port: 8080, description: "p" }],
  );
  assert.equal(defaultPort(scriptByName("dashboard")!, "port"), 8084);
  assert.equal(defaultPort(scriptByName("dashboard")!, "metricsPort"), 9107);
  assert.throws(() => defaultPort(scriptByName("order_import")!, "port"), /no default --port/);
});

Deno.test("the scrape jobs are the table's scraped scripts, on their default ports", () => {
  assert.deepEqual(
    SCRAPE_JOBS.map((j) => `${j.job}@${j.service}:${j.port}${j.portFlag}`),
    SCRIPTS.filter((s) => s.scrape).map((s) =>
      `${s.name}@${s.name.replaceAll("_", "-")}:${defaultPort(s, s.scrape!)}` +
      (s.scrape === "port" ? "--port" : "--metrics-port")
    ),
  );
  assert.equal(SCRAPE_JOBS.find((j) => j.job === "order_gateway")?.port, 8080);
});

Deno.test("the dashboard's default process list is the table's routers and consumers", () => {
  const scraped = ["inventory_orders_producer", "delivery_orders_producer"].concat(
    ["inventory_data_consumer", "delivery_data_consumer"],
  ).map((name) =>
    `${name}=http://127.0.0.1:${defaultPort(scriptByName(name)!, "metricsPort")}/metrics`
  );
  assert.deepEqual([...DEFAULT_SCRAPE_TARGETS], scraped);
  // The DLQ panel watches every stage's DLQ, each of which the dashboard may read.
  assert.deepEqual([...dashboardConfig.specs.dlqTopics.default].sort(), dlqTopics().sort());
  for (const dlq of dlqTopics()) {
    assert.ok(scriptByName("dashboard")!.kafka!.reads?.includes(dlq), `dashboard reads ${dlq}`);
  }
  // Each watched group is one a script of the table reads with, on a topic it reads.
  for (const { group, topic } of parseLagTargets(DEFAULT_LAG_TARGETS)) {
    const reader = SCRIPTS.find((s) => s.kafka?.groups?.includes(group));
    assert.ok(reader, `${group} is a script's consumer group`);
    assert.ok(reader.kafka!.reads?.includes(topic), `${reader.name} reads ${topic}`);
  }
});

Deno.test("the ACL table: one principal per Kafka script, named after it", () => {
  const principals = kafkaPrincipals();
  assert.deepEqual(
    principals.map((p) => p.principal),
    SCRIPTS.filter((s) => s.kafka).map((s) => s.name),
  );
  assert.ok(!principals.some((p) => p.principal === "terminal_dashboard"));
});

Deno.test("the demo starts every long-running script but the registry, the load last", () => {
  const run = {
    registryUrl: "http://127.0.0.1:8081",
    databaseUrl: "sqlite:x",
    statusInterval: 5,
    failureRate: 0.02,
    load: { rate: 20, mix: "inventory=1", invalidRate: 0 },
    ports: { dashboard: 8084, status: 8082, gateway: 8080, smtp: 2525 },
    registryEnv: { SCHEMA_REGISTRY_SSL_CA_FILE: "ca.pem" },
    httpEnv: (prefix: string) => ({ [`${prefix}_BASIC_AUTH`]: "u:p" }),
  };
  const started = SCRIPTS.flatMap((s) => {
    const part = s.demo?.(run);
    return part ? [{ name: s.name, ...part }] : [];
  });
  assert.deepEqual(started.map((p) => p.name), [
    "inventory_orders_producer",
    "delivery_orders_producer",
    "inventory_data_consumer",
    "delivery_data_consumer",
    "carrier_simulator",
    "aggregator",
    "dashboard",
    "order_status_service",
    "smtp_sink",
    "notifier",
    "order_gateway",
    "order_generator",
  ]);
  const gateway = started.find((p) => p.name === "order_gateway")!;
  assert.deepEqual(gateway.args, ["--port", "8080"]);
  assert.deepEqual(gateway.env, { GATEWAY_BASIC_AUTH: "u:p" });
  const consumer = started.find((p) => p.name === "inventory_data_consumer")!;
  assert.deepEqual(consumer.env, run.registryEnv);
  // The notifier sends to the sink the demo starts before it.
  const notifier = started.find((p) => p.name === "notifier")!;
  assert.ok(notifier.args.join(" ").includes("--smtp-port 2525"));
  assert.deepEqual(started.find((p) => p.name === "smtp_sink")!.args, ["--port", "2525"]);
  const quiet = SCRIPTS.filter((s) =>
    s.demo?.({ ...run, load: undefined, ports: { status: 1, gateway: 2, smtp: 3 } })
  );
  assert.ok(!quiet.some((s) => s.name === "order_generator" || s.name === "dashboard"));
});
