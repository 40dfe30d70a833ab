/**
 * The aggregator as a service: creates its topics, serves the stats
 * (stats_http.ts) and the metrics, runs the loop (aggregator_loop.ts) until
 * a signal, and says in one line why it stopped. scripts/aggregator.ts runs
 * it.
 *
 * @example
 * ```ts
 * // Deno.exit(await runAggregatorService());
 * ```
 * @module
 */
import { createAdmin } from "../kafka/client.ts";
import { kafkaConnectionFrom } from "../kafka/connection.ts";
import { type LagMetrics, startLagMetrics } from "../kafka/lag_metrics.ts";
import { createLogger } from "../platform/log.ts";
import { MetricsRegistry, serveMetrics } from "../platform/metrics.ts";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { securityFailureLine } from "../kafka/errors.ts";
import { shutdownSignal } from "../platform/shutdown.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../kafka/topics.ts";
import { aggregatorConfig, aggregatorSettingsFrom } from "./aggregator_config.ts";
import { createAggregator } from "./aggregator_loop.ts";
import { createStatsHandler } from "./stats_http.ts";

/** Runs the aggregator until SIGINT/SIGTERM; returns the exit code. */
export async function runAggregatorService(): Promise<number> {
  const config = aggregatorConfig;
  const cfg = config.load();
  const { roles, limits } = config.orExit(() => aggregatorSettingsFrom(cfg));
  const log = createLogger({ name: "aggregator", level: cfg.logLevel });
  const connection = config.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: "aggregator", brokers: ["127.0.0.1:9092"] })
  );
  const metrics = new MetricsRegistry({ script: "aggregator" });
  const shutdown = shutdownSignal(log);
  const aggregator = createAggregator({
    connection,
    log,
    metrics,
    roles,
    statsTopic: cfg.statsTopic,
    groupId: cfg.groupId,
    transactionalId: cfg.transactionalId ?? cfg.groupId,
    limits,
    commitIntervalMs: cfg.commitIntervalMs,
    maxUncommitted: cfg.maxUncommitted,
    topicRefreshMs: cfg.topicRefreshSeconds * 1000,
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    topN: cfg.topN,
    progressIntervalS: cfg.progressInterval,
    catalog: DEFAULT_CATALOG,
  });
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let metricsServer: ReturnType<typeof serveMetrics> | undefined;
  let lag: LagMetrics | undefined;
  try {
    await ensureTopicsAt(connection, [
      renamed(TOPICS.orders, cfg.ordersTopic),
      renamed(TOPICS.orderStatus, cfg.statusTopic),
      renamed(TOPICS.clicks, cfg.clicksTopic),
      renamed(TOPICS.orderStats, cfg.statsTopic),
    ], log);

    const handler = createStatsHandler({
      snapshot: aggregator.snapshot,
      metrics,
      healthy: () => aggregator.healthy,
    });
    server = Deno.serve(
      { hostname: cfg.httpHost, port: cfg.httpPort, onListen: () => {} },
      handler,
    );
    metricsServer = serveMetrics(metrics, {
      hostname: cfg.metricsHost,
      port: cfg.metricsPort,
      healthy: () => aggregator.healthy,
    });
    lag = startLagMetrics({
      admin: createAdmin(connection),
      metrics,
      groupId: cfg.groupId,
      topics: [cfg.ordersTopic, cfg.statusTopic, cfg.clicksTopic],
      log,
    });
    log.info("aggregator starting", {
      stats: `http://${server.addr.hostname}:${server.addr.port}/stats`,
      metrics: metricsServer.url,
      statsTopic: cfg.statsTopic,
      groupId: cfg.groupId,
    });
    await aggregator.run(shutdown.signal);
    return 0;
  } catch (err) {
    const security = await securityFailureLine(err, {
      ...connection,
      groups: [cfg.groupId],
      transactionalIds: [cfg.transactionalId ?? cfg.groupId],
    });
    if (security) log.error(security);
    else log.error("stopped by an error", { error: err, ...aggregator.totals });
    return 1;
  } finally {
    await server?.shutdown();
    await lag?.stop();
    await metricsServer?.close();
    shutdown.dispose();
  }
}
