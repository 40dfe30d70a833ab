/**
 * The flags of scripts/order_generator.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { ordersTopicFlag } from "./orders_topic_flag.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { TOPICS } from "../kafka/topics.ts";

export const generatorConfig = defineConfig({
  name: "order_generator",
  summary: "Generates orders at a rate, count and type mix into the raw orders topic.",
  flags: {
    rate: {
      type: "number",
      min: 0,
      default: 50,
      description: "orders per second (0: as fast as Kafka takes them)",
    },
    count: {
      type: "number",
      integer: true,
      min: 0,
      default: 0,
      description: "orders in all (0: until Ctrl-C)",
    },
    mix: {
      type: "string",
      default: "inventory=45,delivery=45,return=10",
      description: "relative weights of the order types, type=weight,...",
    },
    seed: {
      type: "number",
      integer: true,
      min: 0,
      description: "seed for reproducible orders (default: the time, logged at start)",
    },
    invalidRate: {
      type: "number",
      min: 0,
      max: 1,
      default: 0,
      description: "share of orders (0..1) made invalid on purpose, sent as they are",
    },
    batchSize: {
      type: "number",
      integer: true,
      min: 1,
      default: 500,
      description: "most orders per send",
    },
    progressInterval: {
      type: "number",
      min: 0,
      default: 5,
      description: "seconds between progress lines (0: none)",
    },
    metricsPort: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      default: 0,
      description: "serve Prometheus /metrics on this port (0: off)",
    },
    clicksPerOrder: {
      type: "number",
      min: 0,
      default: 3,
      description: "mean product views per order, sent to --clicks-topic (0: no clicks)",
    },
    clicksTopic: {
      type: "string",
      default: TOPICS.clicks.name,
      description: "the clickstream topic, views keyed by user (created as declared when missing)",
    },
    topic: ordersTopicFlag,
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
