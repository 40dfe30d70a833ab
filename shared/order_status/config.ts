/**
 * The flags of scripts/order_status_service.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { observabilityFlags } from "../platform/metrics.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { TOPICS } from "../kafka/topics.ts";
import { httpListenFlags } from "../platform/http_listen.ts";

export const statusServiceConfig = defineConfig({
  name: "order_status_service",
  summary: "Answers GET /orders/:id with an order's status and history, from order_status.",
  flags: {
    statusTopic: {
      type: "string",
      env: "STATUS_TOPIC",
      default: TOPICS.orderStatus.name,
      description: "the order status stream to read",
    },
    groupPrefix: {
      type: "string",
      env: "STATUS_GROUP_PREFIX",
      default: "order-status-service",
      description: "prefix of the consumer group each start creates for itself",
    },
    // It serves /metrics on its HTTP port: of the observability flags only the progress lines.
    progressInterval: observabilityFlags(10).progressInterval,
    ...httpListenFlags("STATUS", 8082),
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
