/**
 * The aggregator: live statistics of the pipeline, exactly once across
 * restarts. It reads `orders`, `order_status`, `clicks`, and every retry
 * (`…-retry-<n>`) and dead-letter (`…-dlq`) topic, keeps running figures
 * (orders and average price overall and per type, sales and revenue, status
 * counts, retries and dead letters by reason class, orders per minute, top
 * products, most-viewed products in a sliding window, view-to-order
 * conversion), and commits its state together with its input offsets in one
 * Kafka transaction to the compacted `order_stats` topic. It serves the
 * dashboard's snapshot on `GET /stats` and `GET /stats/stream` (SSE).
 *
 * The pieces: shared/aggregate/ (fold.ts says what each figure counts,
 * snapshot.ts documents the snapshot's JSON, aggregator_loop.ts why a restart
 * counts nothing twice). See scripts/catalog.ts for the exact permissions:
 *
 *   deno run --allow-net --allow-env=… scripts/aggregator.ts --help
 *
 * One instance at a time: a second one with the same transactional id fences
 * the first, which stops.
 * @module
 */
import { defineConfig } from "../shared/config.ts";
import { createAggregator } from "../shared/aggregate/aggregator_loop.ts";
import { createStatsHandler } from "../shared/aggregate/stats_http.ts";
import { DEFAULT_LIMITS } from "../shared/aggregate/state.ts";
import { createKafka, kafkaConnectionFrom, kafkaFlags, kafkaLogger } from "../shared/kafka.ts";
import { securityFailureLine } from "../shared/security/kafka_errors.ts";
import { createLogger, logLevelFlag } from "../shared/log.ts";
import { MetricsRegistry, observabilityFlags, serveMetrics } from "../shared/metrics.ts";
import { type LagMetrics, startLagMetrics } from "../shared/lag_metrics.ts";
import { DEFAULT_CATALOG } from "../shared/orders/catalog.ts";
import { shutdownSignal } from "../shared/shutdown.ts";
import { ensureTopics, renamed, TOPICS } from "../shared/topics.ts";

/**
 * The pipeline's own retry and dead-letter topics under their default names,
 * anchored: on a shared cluster, other applications' `-dlq` topics are not
 * ours to count.
 */
const SOURCES = [
  TOPICS.orders,
  TOPICS.inventoryOrders,
  TOPICS.deliveryOrders,
  TOPICS.deliveryEvents,
]
  .map((t) => t.name);
const DEFAULT_RETRY_PATTERN = `^(${
  [...SOURCES, `${TOPICS.orders.name}-inventory`, `${TOPICS.orders.name}-delivery`].join("|")
})-retry-\\d+$`;
const DEFAULT_DLQ_PATTERN = `^(${SOURCES.join("|")})-dlq$`;

const config = defineConfig({
  name: "aggregator",
  summary:
    "Live order statistics from orders, status, clicks, retry and DLQ topics, exactly once; serves /stats.",
  flags: {
    ordersTopic: {
      type: "string",
      env: "AGGREGATOR_ORDERS_TOPIC",
      default: TOPICS.orders.name,
      description: "the raw orders topic",
    },
    statusTopic: {
      type: "string",
      env: "AGGREGATOR_STATUS_TOPIC",
      default: TOPICS.orderStatus.name,
      description: "the order status stream",
    },
    clicksTopic: {
      type: "string",
      env: "AGGREGATOR_CLICKS_TOPIC",
      default: TOPICS.clicks.name,
      description: "the clickstream (product views)",
    },
    retryPattern: {
      type: "string",
      env: "AGGREGATOR_RETRY_PATTERN",
      default: DEFAULT_RETRY_PATTERN,
      description: "regular expression of retry topic names (default: the pipeline's own)",
    },
    dlqPattern: {
      type: "string",
      env: "AGGREGATOR_DLQ_PATTERN",
      default: DEFAULT_DLQ_PATTERN,
      description: "regular expression of dead-letter topic names (default: the pipeline's own)",
    },
    statsTopic: {
      type: "string",
      env: "AGGREGATOR_STATS_TOPIC",
      default: TOPICS.orderStats.name,
      description: "compacted topic of the state and the snapshots (created when missing)",
    },
    groupId: {
      type: "string",
      env: "AGGREGATOR_GROUP_ID",
      default: "order-aggregator",
      description: "consumer group",
    },
    transactionalId: {
      type: "string",
      env: "AGGREGATOR_TRANSACTIONAL_ID",
      description: "transactional id, one per aggregator [default: the group id]",
    },
    commitIntervalMs: {
      type: "number",
      integer: true,
      min: 10,
      env: "AGGREGATOR_COMMIT_INTERVAL_MS",
      default: 1000,
      description: "how often the state is committed (and the snapshot published)",
    },
    maxUncommitted: {
      type: "number",
      integer: true,
      min: 1,
      env: "AGGREGATOR_MAX_UNCOMMITTED",
      default: 20_000,
      description: "commit early once this many records are folded",
    },
    topN: {
      type: "number",
      integer: true,
      min: 1,
      max: 1000,
      env: "AGGREGATOR_TOP_N",
      default: 10,
      description: "entries of the ranked lists (top products, most viewed)",
    },
    ordersWindowSeconds: {
      type: "number",
      integer: true,
      min: 1,
      env: "AGGREGATOR_ORDERS_WINDOW_SECONDS",
      default: DEFAULT_LIMITS.ordersWindowMs / 1000,
      description: "tumbling window of the orders count (orders per minute)",
    },
    ordersWindowsKept: {
      type: "number",
      integer: true,
      min: 1,
      max: 10_000,
      env: "AGGREGATOR_ORDERS_WINDOWS_KEPT",
      default: DEFAULT_LIMITS.ordersWindowsKept,
      description: "tumbling windows kept",
    },
    viewWindowSeconds: {
      type: "number",
      integer: true,
      min: 1,
      env: "AGGREGATOR_VIEW_WINDOW_SECONDS",
      default: DEFAULT_LIMITS.viewWindowMs / 1000,
      description: "sliding window of most-viewed products",
    },
    viewSlideSeconds: {
      type: "number",
      integer: true,
      min: 1,
      env: "AGGREGATOR_VIEW_SLIDE_SECONDS",
      default: DEFAULT_LIMITS.viewSlideMs / 1000,
      description: "step of the sliding window (divides the window)",
    },
    conversionRetentionSeconds: {
      type: "number",
      integer: true,
      min: 1,
      env: "AGGREGATOR_CONVERSION_RETENTION_SECONDS",
      default: DEFAULT_LIMITS.conversionRetentionMs / 1000,
      description: "how long a view can lead to an order (attribution window)",
    },
    topicRefreshSeconds: {
      type: "number",
      min: 0,
      env: "AGGREGATOR_TOPIC_REFRESH_SECONDS",
      default: 30,
      description: "how often to look for new retry/DLQ topics (0: never)",
    },
    sessionTimeoutMs: {
      type: "number",
      integer: true,
      min: 3000,
      env: "AGGREGATOR_SESSION_TIMEOUT_MS",
      default: 30_000,
      description: "how long the group waits for a silent member",
    },
    httpPort: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      env: "AGGREGATOR_HTTP_PORT",
      default: 8083,
      description: "port of /stats and /stats/stream (0: any free port)",
    },
    httpHost: {
      type: "string",
      env: "AGGREGATOR_HTTP_HOST",
      default: "127.0.0.1",
      description: "address of /stats (0.0.0.0 for every interface)",
    },
    ...observabilityFlags(9106),
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});

function pattern(flag: string, source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    console.error(`--${flag}: not a regular expression: ${(err as Error).message}`);
    Deno.exit(2);
  }
}

async function main(): Promise<number> {
  const cfg = config.load();
  const log = createLogger({ name: "aggregator", level: cfg.logLevel });
  const connection = config.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: "aggregator", brokers: ["127.0.0.1:9092"] })
  );
  const roles = {
    orders: cfg.ordersTopic,
    status: cfg.statusTopic,
    clicks: cfg.clicksTopic,
    retry: pattern("retry-pattern", cfg.retryPattern),
    dlq: pattern("dlq-pattern", cfg.dlqPattern),
  };
  const limits = {
    ...DEFAULT_LIMITS,
    ordersWindowMs: cfg.ordersWindowSeconds * 1000,
    ordersWindowsKept: cfg.ordersWindowsKept,
    viewWindowMs: cfg.viewWindowSeconds * 1000,
    viewSlideMs: cfg.viewSlideSeconds * 1000,
    conversionRetentionMs: cfg.conversionRetentionSeconds * 1000,
  };
  if (limits.viewWindowMs % limits.viewSlideMs !== 0) {
    console.error("--view-window-seconds must be a whole multiple of --view-slide-seconds");
    return 2;
  }
  const kafka = createKafka(connection, kafkaLogger(log));
  const metrics = new MetricsRegistry({ script: "aggregator" });
  const shutdown = shutdownSignal(log);
  const aggregator = createAggregator({
    kafka,
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
    const admin = createKafka({ ...connection, retries: 2 }, kafkaLogger(log)).admin();
    await admin.connect();
    await ensureTopics(admin, [
      renamed(TOPICS.orders, cfg.ordersTopic),
      renamed(TOPICS.orderStatus, cfg.statusTopic),
      renamed(TOPICS.clicks, cfg.clicksTopic),
      renamed(TOPICS.orderStats, cfg.statsTopic),
    ], log);
    await admin.disconnect();

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
      admin: kafka.admin(),
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

if (import.meta.main) Deno.exit(await main());
