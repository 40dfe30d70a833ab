/**
 * The flags of scripts/dashboard.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { TOPICS } from "../kafka/topics.ts";
import { dlqTopicName } from "../retry/backoff.ts";
import { NOTIFIER_RETRY_BASE } from "../notify/config.ts";
import { optionalRegistryFlags } from "../kafka/registry_connection.ts";
import { observabilityFlags } from "../platform/metrics.ts";
import { httpListenFlags } from "../platform/http_listen.ts";
import { DEFAULT_LAG_TARGETS } from "./lag_view.ts";
import { DEFAULT_SCRAPE_TARGETS } from "./prometheus.ts";

export const dashboardConfig = defineConfig({
  name: "dashboard",
  summary: "Web dashboard of the pipeline, live over SSE: rates, lag, recent orders, DLQ replay.",
  flags: {
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
      // Every stage's DLQ: the routers', the data consumers' (their inputs and the carrier's
      // events) and the notifier's; scripts/services_test.ts checks it against the topology.
      default: [
        TOPICS.ordersDlq.name,
        dlqTopicName(TOPICS.inventoryOrders.name),
        dlqTopicName(TOPICS.deliveryOrders.name),
        dlqTopicName(TOPICS.deliveryEvents.name),
        dlqTopicName(NOTIFIER_RETRY_BASE),
      ],
      description: "dead-letter topics of the DLQ panel",
    },
    inventoryTopic: {
      type: "string",
      env: "DASHBOARD_INVENTORY_TOPIC",
      default: TOPICS.inventory.name,
      description: "the stock change log the stock panel is folded from (needs --registry-url)",
    },
    lowStock: {
      type: "number",
      integer: true,
      min: 0,
      env: "DASHBOARD_LOW_STOCK",
      default: 5,
      description: "units on hand at or below which the stock panel marks a SKU low",
    },
    ...optionalRegistryFlags,
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
    ...httpListenFlags("DASHBOARD", 8084),
    ...observabilityFlags(9107),
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
