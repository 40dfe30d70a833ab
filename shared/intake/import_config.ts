/**
 * The flags of scripts/order_import.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { ordersTopicFlag } from "./orders_topic_flag.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";

export const importConfig = defineConfig({
  name: "order_import",
  summary: "Imports orders from NDJSON (a file or stdin) into the raw orders topic.",
  usage: "order_import [--file PATH|-] [flags]   e.g. order_import --file orders.ndjson",
  flags: {
    file: {
      type: "string",
      short: "f",
      default: "-",
      description: "NDJSON file to import, one order per line (-: stdin)",
    },
    batchSize: {
      type: "number",
      integer: true,
      min: 1,
      default: 500,
      description: "orders per send",
    },
    dryRun: {
      type: "boolean",
      description: "validate every line, send nothing (needs no Kafka)",
    },
    topic: ordersTopicFlag,
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
