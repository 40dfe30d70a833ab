/**
 * The flags of scripts/carrier_simulator.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { TOPICS } from "../kafka/topics.ts";
import { registryFlags } from "../kafka/registry_connection.ts";
import { observabilityFlags } from "../platform/metrics.ts";

export const carrierConfig = defineConfig({
  name: "carrier_simulator",
  summary:
    "Plays the carriers: dispatches, moves and delivers (or fails) every scheduled delivery.",
  flags: {
    delayMs: {
      type: "number",
      integer: true,
      min: 0,
      max: 3_600_000,
      env: "CARRIER_DELAY_MS",
      default: 1000,
      description: "time between a delivery's updates (0 = all at once)",
    },
    failureRate: {
      type: "number",
      min: 0,
      max: 1,
      env: "CARRIER_FAILURE_RATE",
      default: 0.05,
      description: "share of deliveries that fail (0..1), decided per order id",
    },
    ...registryFlags,
    statusTopic: {
      type: "string",
      env: "CARRIER_STATUS_TOPIC",
      default: TOPICS.orderStatus.name,
      description: "order status events to watch for scheduled deliveries",
    },
    eventsTopic: {
      type: "string",
      env: "CARRIER_EVENTS_TOPIC",
      default: TOPICS.deliveryEvents.name,
      description: "where carrier updates go",
    },
    groupId: {
      type: "string",
      env: "CARRIER_GROUP_ID",
      default: "carrier-simulator",
      description: "consumer group on the status topic",
    },
    sessionTimeoutMs: {
      type: "number",
      integer: true,
      min: 6000,
      max: 300_000,
      env: "CARRIER_SESSION_TIMEOUT_MS",
      default: 30_000,
      description: "how long the group waits for a silent instance before rebalancing",
    },
    ...observabilityFlags(9105),
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
