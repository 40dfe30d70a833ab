/**
 * The web dashboard: one page, live over Server-Sent Events, that shows the
 * pipeline at a glance: orders in and their rate, the consumers' outcomes
 * (processed, refused, retried, dead-lettered) and the running average
 * price, throughput over time, consumer lag per group and partition, the
 * processes' own counters, the latest orders with their status, and the
 * dead-letter topics by reason with a replay button per reason (once per
 * record, through the replayer's ledger). It can also run a small demo load
 * of its own, started and stopped from the page (off by default).
 *
 * Where things are: shared/dashboard/ (collector.ts keeps the state and
 * its sources, kafka_io.ts talks to Kafka, http.ts serves the page and the
 * API, static/ is the page itself: plain HTML, CSS and JavaScript, no build
 * step). See scripts/catalog.ts for the exact permissions:
 *
 *   deno run --allow-net --allow-env=… --allow-read scripts/dashboard.ts --help
 *
 * With `--basic-auth` (what a browser can send: it asks once, then sends it
 * with the page, its fetches and its EventSource) and/or `--auth-token`,
 * everything but `GET /healthz` needs them, above all the Replay and load
 * actions, which write to Kafka; with `--tls-cert-file` and `--tls-key-file`
 * the page is served over HTTPS (shared/http/guard.ts). Its separate
 * /metrics port is not guarded (shared/metrics.ts; loopback by default).
 *
 * Its figures come from the aggregator (`--stats-url`), Kafka (lag, tail,
 * DLQ) and the scripts' /metrics pages (`--scrape`); each may be down on its
 * own, and the page says which.
 * @module
 */
import { defineConfig } from "../shared/config.ts";
import { createCollector } from "../shared/dashboard/collector.ts";
import { createDashboardHandler, loadStaticFiles } from "../shared/dashboard/http.ts";
import { DEFAULT_LAG_TARGETS, parseLagTargets } from "../shared/dashboard/lag_view.ts";
import { LoadControl } from "../shared/dashboard/load_control.ts";
import { DEFAULT_SCRAPE_TARGETS, parseScrapeTargets } from "../shared/dashboard/prometheus.ts";
import {
  authSummary,
  exposureWarning,
  guard,
  httpServerFlags,
  httpServerFrom,
  listenUrl,
  serveHttp,
} from "../shared/http/guard.ts";
import { createOrderIntake } from "../shared/intake.ts";
import { createKafka, kafkaConnectionFrom, kafkaFlags, kafkaLogger } from "../shared/kafka.ts";
import { securityFailureLine } from "../shared/security/kafka_errors.ts";
import { createLogger, logLevelFlag } from "../shared/log.ts";
import { MetricsRegistry, observabilityFlags, serveMetrics } from "../shared/metrics.ts";
import { shutdownSignal } from "../shared/shutdown.ts";
import { TOPICS } from "../shared/topics.ts";

const config = defineConfig({
  name: "dashboard",
  summary: "Web dashboard of the pipeline, live over SSE: rates, lag, recent orders, DLQ replay.",
  flags: {
    port: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      env: "DASHBOARD_PORT",
      default: 8084,
      description: "port of the page (0: any free port)",
    },
    host: {
      type: "string",
      env: "DASHBOARD_HOST",
      default: "127.0.0.1",
      description: "address of the page (0.0.0.0 for every interface)",
    },
    statsUrl: {
      type: "string",
      env: "DASHBOARD_STATS_URL",
      default: "http://127.0.0.1:8083",
      description: "the aggregator's address (it serves /stats)",
    },
    ordersTopic: {
      type: "string",
      env: "DASHBOARD_ORDERS_TOPIC",
      default: TOPICS.orders.name,
      description: "the raw orders topic: the recent orders, and where the demo load goes",
    },
    statusTopic: {
      type: "string",
      env: "DASHBOARD_STATUS_TOPIC",
      default: TOPICS.orderStatus.name,
      description: "the order status stream, for the recent orders' badges",
    },
    dlqTopics: {
      type: "list",
      env: "DASHBOARD_DLQ_TOPICS",
      default: [
        TOPICS.ordersDlq.name,
        `${TOPICS.inventoryOrders.name}-dlq`,
        `${TOPICS.deliveryOrders.name}-dlq`,
      ],
      description: "dead-letter topics of the DLQ panel",
    },
    lag: {
      type: "list",
      env: "DASHBOARD_LAG",
      default: DEFAULT_LAG_TARGETS,
      description: "consumer groups to show the lag of, as group:topic",
    },
    scrape: {
      type: "list",
      env: "DASHBOARD_SCRAPE",
      default: DEFAULT_SCRAPE_TARGETS,
      description: "processes whose /metrics the page shows, as name=url (empty: none)",
    },
    maxRate: {
      type: "number",
      min: 1,
      env: "DASHBOARD_MAX_RATE",
      default: 500,
      description: "highest demo load (orders per second) the page may start",
    },
    loadInvalidRate: {
      type: "number",
      min: 0,
      max: 1,
      env: "DASHBOARD_LOAD_INVALID_RATE",
      default: 0.05,
      description: "share of the demo load made invalid on purpose (they end in the DLQ)",
    },
    dlqRefreshSeconds: {
      type: "number",
      min: 1,
      env: "DASHBOARD_DLQ_REFRESH_SECONDS",
      default: 15,
      description: "how often the DLQ topics are read again",
    },
    readTimeout: {
      type: "number",
      min: 1,
      default: 60,
      description: "seconds without progress after which reading a DLQ to its end fails",
    },
    ...httpServerFlags("DASHBOARD"),
    ...observabilityFlags(9107),
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});

async function main(): Promise<number> {
  const cfg = config.load();
  const log = createLogger({ name: "dashboard", level: cfg.logLevel });
  const lagTargets = config.orExit(() => parseLagTargets(cfg.lag));
  const scrapeTargets = config.orExit(() => parseScrapeTargets(cfg.scrape));
  const connection = config.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: "dashboard", brokers: ["127.0.0.1:9092"] })
  );
  const http = config.orExit(() =>
    httpServerFrom(cfg, { realm: "dashboard", prefix: "DASHBOARD" })
  );
  const kafka = createKafka(connection, kafkaLogger(log));
  const metrics = new MetricsRegistry({ script: "dashboard" });
  const shutdown = shutdownSignal(log);

  // The demo load goes through the same idempotent intake as the gateway and the generator.
  const intake = createOrderIntake({
    kafka,
    topic: cfg.ordersTopic,
    log,
    metrics,
    source: "dashboard",
    createTopic: true,
    sendTimeoutMs: 15_000,
  });
  const load = new LoadControl({
    sink: intake,
    maxRate: cfg.maxRate,
    invalidRate: cfg.loadInvalidRate,
  });
  const collector = createCollector({
    kafka,
    brokers: connection.brokers,
    log,
    statsUrl: cfg.statsUrl.replace(/\/+$/, ""),
    ordersTopic: cfg.ordersTopic,
    statusTopic: cfg.statusTopic,
    dlqTopics: cfg.dlqTopics,
    lagTargets,
    scrapeTargets,
    load,
    dlqIntervalMs: cfg.dlqRefreshSeconds * 1000,
    readTimeoutMs: cfg.readTimeout * 1000,
  });
  const replays = metrics.counter("dashboard_replays_total", "records replayed from the page");

  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let metricsServer: ReturnType<typeof serveMetrics> | undefined;
  try {
    // /healthz stays open: a liveness probe that says only whether Kafka is reachable.
    const handler = guard(
      createDashboardHandler({
        files: await loadStaticFiles(),
        metrics,
        signal: shutdown.signal,
        backend: {
          state: collector.state,
          replay: async (request) => {
            const summary = await collector.replay(request);
            replays.inc({}, summary.replayed);
            return summary;
          },
          refreshDlq: collector.refreshDlq,
          startLoad: (rate) => load.start(rate),
          stopLoad: () => load.stop(),
          dlqTopics: cfg.dlqTopics,
          maxRate: cfg.maxRate,
          healthy: () => collector.state().sources.kafka.ok,
        },
      }),
      http.credentials,
      { open: ["/healthz"] },
    );
    server = config.orExit(() => serveHttp(http, { hostname: cfg.host, port: cfg.port }, handler));
    metricsServer = serveMetrics(metrics, {
      hostname: cfg.metricsHost,
      port: cfg.metricsPort,
      healthy: () => collector.state().sources.kafka.ok,
    });
    collector.start(shutdown.signal);
    const exposed = exposureWarning(cfg.host, http);
    if (exposed) log.warn(exposed);
    log.info("dashboard ready", {
      url: listenUrl(server.addr, http.tls !== undefined),
      auth: authSummary(http.credentials),
      stats: cfg.statsUrl,
      metrics: metricsServer.url,
      dlqTopics: cfg.dlqTopics,
    });
    await new Promise((resolve) => shutdown.signal.addEventListener("abort", resolve));
    return 0;
  } catch (err) {
    const security = await securityFailureLine(err, connection);
    if (security) log.error(security);
    else log.error("stopped by an error", { error: err });
    return 1;
  } finally {
    await load.stop();
    await intake.close();
    await server?.shutdown();
    await collector.stop();
    await metricsServer?.close();
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
