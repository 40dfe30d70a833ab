/**
 * The DLQ replayer's flags and commands (`scripts/dlq_replayer.ts`),
 * importable without running it: the service table (scripts/services.ts)
 * derives its environment variables and docs from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { optionalRegistryFlags } from "../kafka/registry_connection.ts";
import { DEFAULT_REPLAY_TRANSACTION_SIZE } from "./replay.ts";

export const dlqReplayerConfig = defineConfig({
  name: "dlq_replayer",
  summary: "Lists, shows and replays the records of a dead-letter topic, each at most once.",
  usage: [
    "dlq_replayer <command> [flags]",
    "  list                          records grouped by the rule they broke (--json for data)",
    "  show <partition>/<offset>     one record: headers and decoded value",
    "  replay <selection> [--dry-run] [--rate N] [--force]",
    "                                selection: --all, or any of --rule, --reason, --order-id,",
    "                                --since, --until (all must match)",
    "  e.g. dlq_replayer replay --topic orders-dlq --rule 'items[].quantity: must be a positive whole number' --dry-run",
  ].join("\n"),
  flags: {
    topic: {
      type: "string",
      env: "DLQ_TOPIC",
      default: "orders-dlq",
      description: "the dead-letter topic; its ledger is <topic>-replayed",
    },
    all: { type: "boolean", description: "replay: select every record" },
    rule: {
      type: "string",
      description: "replay: the records of one group of list, its rule exactly as list prints it",
    },
    reason: {
      type: "string",
      description: "replay: records whose dlq.reason contains this text (case-insensitive)",
    },
    orderId: {
      type: "string",
      description: "replay: records whose key, dlq.original.key or value's orderId is this id",
    },
    since: {
      type: "string",
      description: "replay: records that failed (dlq.failed.at) at or after this ISO time",
    },
    until: {
      type: "string",
      description: "replay: records that failed before this ISO time",
    },
    dryRun: { type: "boolean", description: "replay: print what would be replayed, write nothing" },
    force: {
      type: "boolean",
      description: "replay: also a selection that all failed validation (the validator was fixed)",
    },
    rate: {
      type: "number",
      env: "DLQ_REPLAY_RATE",
      min: 0,
      default: 0,
      description: "replay: at most this many records per second (0 = unlimited)",
    },
    transactionSize: {
      type: "number",
      integer: true,
      min: 1,
      max: 10_000,
      default: DEFAULT_REPLAY_TRANSACTION_SIZE,
      // The loops' name for the same knob; the old one still works.
      formerly: { flag: "batchSize" },
      description: "replay: records per transaction (fewer under --rate)",
    },
    json: { type: "boolean", description: "list, show: print JSON instead of text" },
    // The registry decodes Avro values for show and replay --order-id.
    ...optionalRegistryFlags,
    readTimeout: {
      type: "number",
      min: 1,
      default: 60,
      description: "seconds without progress after which reading a topic to its end fails",
    },
    progressInterval: {
      type: "number",
      min: 0,
      env: "PROGRESS_INTERVAL",
      default: 5,
      description: "seconds between progress log lines when stderr is no terminal (0 = none)",
    },
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
