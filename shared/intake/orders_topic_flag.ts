/**
 * The flag every script that brings orders in (the gateway, the generator,
 * the import) names the raw orders topic with: `--topic`, env `ORDERS_TOPIC`.
 *
 * @example
 * ```ts
 * import { defineConfig } from "../platform/config.ts";
 * import { ordersTopicFlag } from "./orders_topic_flag.ts";
 * const config = defineConfig({ name: "x", summary: "y", flags: { topic: ordersTopicFlag } });
 * config.parse([], () => undefined).topic; // "orders"
 * ```
 * @module
 */
import { TOPICS } from "../kafka/topics.ts";

export const ordersTopicFlag = {
  type: "string",
  env: "ORDERS_TOPIC",
  default: TOPICS.orders.name,
  description: "the raw orders topic (created as declared when missing)",
} as const;
