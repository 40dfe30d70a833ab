/**
 * The web dashboard: one page, live over Server-Sent Events, that shows the
 * pipeline at a glance: orders in and their rate, the consumers' outcomes
 * (processed, refused, retried, dead-lettered) and the running average
 * price, throughput over time, consumer lag per group and partition, the
 * processes' own counters, the latest orders with their status, and the
 * dead-letter topics by reason with a replay button per reason (once per
 * record, through the replayer's ledger), and the stock of each SKU, folded
 * from the `inventory` change log, low ones marked. It can also run a small demo load
 * of its own, started and stopped from the page (off by default).
 *
 * Where things are: shared/dashboard/ (collector.ts keeps the state and
 * its sources, kafka_io.ts talks to Kafka, http.ts serves the page and the
 * API, static/ is the page itself: plain HTML, CSS and JavaScript, no build
 * step). Its permissions, flags and ports: docs/configuration.md, from its
 * row in scripts/services.ts:
 *
 *   deno task dashboard --help
 *
 * With `--basic-auth` (what a browser can send: it asks once, then sends it
 * with the page, its fetches and its EventSource) and/or `--auth-token`,
 * everything but `GET /healthz` needs them, above all the Replay and load
 * actions, which write to Kafka; with `--tls-cert-file` and `--tls-key-file`
 * the page is served over HTTPS (shared/platform/http_guard.ts). Its separate
 * /metrics port is not guarded (shared/platform/metrics.ts; loopback by default).
 *
 * Its figures come from the aggregator (`--stats-url`), Kafka (lag, tail,
 * DLQ, stock, the last through `--registry-url`) and the scripts' /metrics
 * pages (`--scrape`); each may be down on its own, and the page says which.
 * @module
 */
import { createCollector } from "../shared/dashboard/collector.ts";
import { createDashboardHandler, loadStaticFiles } from "../shared/dashboard/http.ts";
import { parseLagTargets } from "../shared/dashboard/lag_view.ts";
import { LoadControl } from "../shared/dashboard/load_control.ts";
import { parseScrapeTargets } from "../shared/dashboard/prometheus.ts";
import { httpServerFrom } from "../shared/platform/http_guard.ts";
import { serveGuarded } from "../shared/platform/http_listen.ts";
import { createOrderIntake } from "../shared/intake/intake.ts";
import { securityFailureLine } from "../shared/kafka/errors.ts";
import { MetricsRegistry, serveMetrics } from "../shared/platform/metrics.ts";
import { shutdownSignal, untilAborted } from "../shared/platform/shutdown.ts";
import { dashboardConfig } from "../shared/dashboard/config.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";
import { registryConnectionFrom } from "../shared/kafka/registry_connection.ts";

async function main(): Promise<number> {
  const { cfg, log, connection } = startKafkaScript(dashboardConfig, {
    name: "dashboard",
    brokers: ["127.0.0.1:9092"],
  });
  const lagTargets = dashboardConfig.orExit(() => parseLagTargets(cfg.lag));
  const scrapeTargets = dashboardConfig.orExit(() => parseScrapeTargets(cfg.scrape));
  const http = dashboardConfig.orExit(() =>
    httpServerFrom(cfg, { realm: "dashboard", prefix: "DASHBOARD" })
  );
  const registryUrl = cfg.registryUrl;
  const registry = registryUrl
    ? dashboardConfig.orExit(() => registryConnectionFrom({ ...cfg, registryUrl }))
    : undefined;
  const metrics = new MetricsRegistry({ script: "dashboard" });
  const shutdown = shutdownSignal(log);

  // The demo load goes through the same idempotent intake as the gateway and the generator.
  const intake = createOrderIntake({
    connection,
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
    connection,
    log,
    statsUrl: cfg.statsUrl.replace(/\/+$/, ""),
    ordersTopic: cfg.ordersTopic,
    statusTopic: cfg.statusTopic,
    dlqTopics: cfg.dlqTopics,
    stock: { topic: cfg.inventoryTopic, registry, lowStock: cfg.lowStock },
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
    metricsServer = serveMetrics(metrics, {
      hostname: cfg.metricsHost,
      port: cfg.metricsPort,
      healthy: () => collector.state().sources.kafka.ok,
    });
    const page = createDashboardHandler({
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
    });
    server = dashboardConfig.orExit(() =>
      serveGuarded(cfg, http, page, {
        log,
        message: "dashboard ready",
        open: ["/healthz"],
        fields: { stats: cfg.statsUrl, metrics: metricsServer!.url, dlqTopics: cfg.dlqTopics },
      })
    );
    collector.start(shutdown.signal);
    await untilAborted(shutdown.signal);
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
