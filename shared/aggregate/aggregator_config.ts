/**
 * The aggregator's configuration: its flags (the pipeline's own retry and
 * dead-letter topic patterns by default), and the topic roles and state
 * limits they describe, checked.
 *
 * @example
 * ```ts
 * import { aggregatorConfig, aggregatorSettingsFrom } from "./aggregator_config.ts";
 * const cfg = aggregatorConfig.parse([], () => undefined);
 * const { roles, limits } = aggregatorSettingsFrom(cfg);
 * roles.dlq.test("orders-dlq"); // true
 * limits.viewWindowMs; // 300000 by default
 * ```
 * @module
 */
import { ConfigError, type ConfigOf, defineConfig, flagName } from "../platform/config.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { observabilityFlags } from "../platform/metrics.ts";
import { TOPICS } from "../kafka/topics.ts";
import type { TopicRoles } from "./fold.ts";
import { DEFAULT_LIMITS, type StateLimits } from "./state.ts";

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

export const aggregatorConfig = defineConfig({
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

/** The aggregator's flag values. */
export type AggregatorConfig = ConfigOf<typeof aggregatorConfig.specs>;

function pattern(key: string, source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new ConfigError(
      key,
      `--${flagName(key)}: not a regular expression: ${(err as Error).message}`,
    );
  }
}

/** The topic roles and the bounds of a fresh state; throws a ConfigError for a bad pattern or window. */
export function aggregatorSettingsFrom(
  cfg: AggregatorConfig,
): { roles: TopicRoles; limits: StateLimits } {
  const roles = {
    orders: cfg.ordersTopic,
    status: cfg.statusTopic,
    clicks: cfg.clicksTopic,
    retry: pattern("retryPattern", cfg.retryPattern),
    dlq: pattern("dlqPattern", cfg.dlqPattern),
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
    throw new ConfigError(
      "viewWindowSeconds",
      "--view-window-seconds must be a whole multiple of --view-slide-seconds",
    );
  }
  return { roles, limits };
}
