import assert from "node:assert/strict";
import { type DemoSummary, demoSummary } from "./demo_summary.ts";

const PLAIN: DemoSummary = {
  flags: {
    gatewayPort: 8080,
    statusPort: 8082,
    dashboard: true,
    dashboardPort: 8084,
    initialStock: 100,
    load: true,
    rate: 20,
    mix: "inventory=45,delivery=45,return=10",
    invalidRate: 0.05,
    failureRate: 0.02,
    duration: 0,
  },
  kafka: { brokers: "127.0.0.1:9092", description: "external: KAFKA_BROKERS is set" },
  registryUrl: "http://127.0.0.1:8081",
  statsUrl: "http://127.0.0.1:8083/stats",
  metricsUrls: ["http://127.0.0.1:9101/metrics", "http://127.0.0.1:9102/metrics"],
  database: "/c/demo/store.sqlite",
  logDir: "/c/demo",
  manifestFile: "/c/demo/run.json",
};

Deno.test("the summary says where everything is, the load, and how the demo ends", () => {
  const lines = demoSummary(PLAIN).split("\n");
  assert.equal(lines[0], "", "a blank line first");
  assert.equal(lines[1], "Order pipeline demo: running");
  assert.ok(lines.includes("  Kafka             127.0.0.1:9092  (external: KAFKA_BROKERS is set)"));
  assert.ok(!lines.some((l) => l.startsWith("  Kafka nodes")), "no cluster of its own");
  assert.ok(lines.includes("  Order gateway     http://127.0.0.1:8080/orders  (POST JSON orders)"));
  assert.ok(
    lines.includes(
      "  Metrics           http://127.0.0.1:9101/metrics  http://127.0.0.1:9102/metrics",
    ),
  );
  assert.ok(
    lines.includes(
      "  Load              20 orders/s, mix inventory=45,delivery=45,return=10, 5% invalid",
    ),
  );
  assert.ok(lines.includes("  Ctrl-C stops everything."));
  assert.ok(!lines.some((l) => l.includes("HTTP login")), "no logins without --secure");
});

Deno.test("the summary names what --no-dashboard, --no-load and --duration leave out", () => {
  const text = demoSummary({
    ...PLAIN,
    flags: { ...PLAIN.flags, dashboard: false, load: false, duration: 30 },
  });
  assert.match(text, /^ {2}Dashboard {9}none \(--no-dashboard\)$/m);
  assert.match(text, /^ {2}Load {14}none \(--no-load\)$/m);
  assert.match(text, /^ {2}Stopping by itself in 30 s\.$/m);
});

Deno.test("with --secure and a cluster: https, its nodes, the login, the CA, the credentials", () => {
  const text = demoSummary({
    ...PLAIN,
    kafka: { ...PLAIN.kafka, clusterManifest: "/c/kafka/cluster.json" },
    security: {
      caFile: "/pki/ca.pem",
      credentialsFile: "/c/demo/credentials.json",
      http: { username: "demo", password: "pw" },
      registry: { username: "demo-scripts", password: "rpw" },
      tls: { certFile: "/pki/d.pem", keyFile: "/pki/d.key" },
      kafkaCredentialsFile: "/c/security/kafka.json",
    },
  });
  assert.match(
    text,
    /^ {2}Kafka nodes {7}\/c\/kafka\/cluster\.json {2}\(pids; a killed node restarts\)$/m,
  );
  assert.match(text, /Order status {6}https:\/\/127\.0\.0\.1:8082\/orders\/<id>/);
  assert.match(text, /^ {2}HTTP login {8}demo:pw {2}\(gateway, order status, dashboard\)$/m);
  assert.match(text, /CA file {11}\/pki\/ca\.pem/);
  assert.match(text, /Kafka's: \/c\/security\/kafka\.json\)$/m);
});
