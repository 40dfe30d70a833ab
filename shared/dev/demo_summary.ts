/**
 * The summary the demo prints once everything has started: where Kafka,
 * the registry, each HTTP surface, the statistics, the database, the
 * metrics, the logs and the run manifest are; the load and the injected
 * failures; with `--secure` the logins and the CA; and how it ends.
 *
 * @example
 * ```ts
 * import { demoSummary } from "./demo_summary.ts";
 * const text = demoSummary({
 *   flags: {
 *     gatewayPort: 8080, statusPort: 8082, dashboard: true, dashboardPort: 8084,
 *     initialStock: 100, load: true, rate: 20, mix: "inventory=1", invalidRate: 0.05,
 *     failureRate: 0.02, duration: 0,
 *   },
 *   kafka: { brokers: "127.0.0.1:9092", description: "external: KAFKA_BROKERS" },
 *   registryUrl: "http://127.0.0.1:8081",
 *   statsUrl: "http://127.0.0.1:8083/stats",
 *   metricsUrls: [],
 *   database: "sqlite:store.sqlite",
 *   logDir: ".cache/demo",
 *   manifestFile: ".cache/demo/run.json",
 * });
 * text.includes("Ctrl-C stops everything."); // true
 * ```
 * @module
 */
import type { DemoSecurity } from "./demo_security.ts";

/** The demo's flags the summary speaks of. */
export interface DemoSummaryFlags {
  gatewayPort: number;
  statusPort: number;
  dashboard: boolean;
  dashboardPort: number;
  initialStock: number;
  load: boolean;
  rate: number;
  mix: string;
  invalidRate: number;
  failureRate: number;
  duration: number;
}

/** What the summary lists. */
export interface DemoSummary {
  flags: DemoSummaryFlags;
  /** The bootstrap servers, what they are, and the local cluster's manifest when the demo started one. */
  kafka: { brokers: string; description: string; clusterManifest?: string };
  registryUrl: string;
  statsUrl: string;
  metricsUrls: readonly string[];
  /** Where the store is. */
  database: string;
  logDir: string;
  manifestFile: string;
  /** With --secure: the logins and CA, and where Kafka's own credentials are. */
  security?: DemoSecurity & { kafkaCredentialsFile: string };
}

/** The summary's text, a line each, blank lines around. Pure. */
export function demoSummary(summary: DemoSummary): string {
  const { flags: cfg, kafka, security } = summary;
  const web = security ? "https" : "http";
  return [
    "",
    "Order pipeline demo: running",
    `  Kafka             ${kafka.brokers}  (${kafka.description})`,
    ...(kafka.clusterManifest
      ? [`  Kafka nodes       ${kafka.clusterManifest}  (pids; a killed node restarts)`]
      : []),
    `  Schema registry   ${summary.registryUrl}`,
    `  Order gateway     ${web}://127.0.0.1:${cfg.gatewayPort}/orders  (POST JSON orders)`,
    `  Order status      ${web}://127.0.0.1:${cfg.statusPort}/orders/<id>`,
    cfg.dashboard
      ? `  Dashboard         ${web}://127.0.0.1:${cfg.dashboardPort}/  (live; replay dead letters there)`
      : "  Dashboard         none (--no-dashboard)",
    `  Statistics        ${summary.statsUrl}  (the aggregator; scripts/terminal_dashboard.ts shows it in a terminal)`,
    `  Database          ${summary.database}  (${cfg.initialStock} units of each product to start)`,
    `  Metrics           ${summary.metricsUrls.join("  ")}`,
    cfg.load
      ? `  Load              ${cfg.rate} orders/s, mix ${cfg.mix}, ${
        cfg.invalidRate * 100
      }% invalid`
      : "  Load              none (--no-load)",
    `  Logs              ${summary.logDir}/`,
    `  Run manifest      ${summary.manifestFile}  (pids and restarts; a killed script restarts)`,
    ...(security ? securityLines(security) : []),
    "",
    `  Failures          ${
      cfg.failureRate * 100
    }% of the consumers' attempts fail on purpose and are retried`,
    "  DLQ replayer      deno run ... scripts/dlq_replayer.ts list --topic orders-dlq (see README)",
    cfg.duration > 0 ? `  Stopping by itself in ${cfg.duration} s.` : "  Ctrl-C stops everything.",
    "",
  ].join("\n");
}

/** With --secure: who connects how, the HTTP login, the CA and the credentials files. */
function securityLines(security: DemoSecurity & { kafkaCredentialsFile: string }): string[] {
  return [
    "",
    "  Security          each script connects to Kafka as its own principal (its name), " +
    "SASL_SSL + SCRAM-SHA-512, ACLs",
    `  HTTP login        ${security.http.username}:${security.http.password}  ` +
    "(gateway, order status, dashboard)",
    `  CA file           ${security.caFile}  (Kafka, the registry, the HTTP surfaces; ` +
    "curl --cacert)",
    `  Credentials       ${security.credentialsFile}  (HTTP and registry logins; ` +
    `Kafka's: ${security.kafkaCredentialsFile})`,
  ];
}
