/**
 * The flags of scripts/order_gateway.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { ordersTopicFlag } from "./orders_topic_flag.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { httpListenFlags } from "../platform/http_listen.ts";

export const gatewayConfig = defineConfig({
  name: "order_gateway",
  summary: "Takes orders over HTTP (POST /orders) into the raw orders topic.",
  flags: {
    topic: ordersTopicFlag,
    maxBodyBytes: {
      type: "number",
      integer: true,
      min: 1,
      default: 1024 * 1024,
      description: "largest request body; larger ones get 413",
    },
    maxBatch: {
      type: "number",
      integer: true,
      min: 1,
      default: 500,
      description: "most orders in one request; more get 413",
    },
    sendTimeoutMs: {
      type: "number",
      integer: true,
      min: 100,
      default: 5000,
      description: "how long a request waits for Kafka's acknowledgement before it gets 503",
    },
    ...httpListenFlags("GATEWAY", 8080),
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
