/**
 * The dead-letter queue inspector and replayer, for any `<topic>-dlq`:
 *
 * - `list`: the records grouped by the rule they broke, field and rule
 *   without the values (`items[].quantity: must be a positive whole
 *   number`): count, a few sample values, how many were already replayed,
 *   oldest and newest `dlq.failed.at`, stage, error class, where a replay
 *   goes;
 * - `show <partition>/<offset>`: one record's headers and value (JSON
 *   pretty-printed; Avro decoded through the registry with
 *   `--registry-url`; else a hex preview);
 * - `replay` a selection (`--all`, or `--rule`, `--reason`, `--order-id`,
 *   `--since`, `--until`; see shared/dlq_replay/selection.ts) back to each record's
 *   `dlq.replay.topic` (else `dlq.original.topic`), with its original key
 *   and value and fresh headers (no `dlq.*`/`retry.*`: a fresh attempt
 *   count; `replay.of` and `replay.at` added). `--dry-run` prints what
 *   would go and writes nothing; `--rate` caps records per second; a
 *   progress bar (or, off a terminal, progress log lines) goes to stderr.
 *   A selection whose every record failed validation is refused in one
 *   line unless `--force` (unchanged, it would be dead-lettered again).
 *
 * ```sh
 * deno run --allow-net --allow-env=<see docs/configuration.md> --allow-read \
 *   scripts/dlq_replayer.ts list --topic orders-dlq
 * ```
 *
 * Replays happen at most once per DLQ record: each batch of replayed
 * records and its entries in the ledger topic `<dlqTopic>-replayed`
 * (compacted, keyed `<partition>/<offset>`) are one Kafka transaction, and
 * a replay reads the whole ledger first (read_committed) and skips what it
 * holds. Its transactional id is derived from the DLQ topic, so a second
 * replayer of the same DLQ (or the dashboard's Replay) fences the first.
 * The whole DLQ is read into memory (dead letters are few, or something
 * else is wrong). This file is the command line; the commands are in
 * shared/dlq_replay/commands.ts, the replay itself in
 * shared/dlq_replay/replay.ts.
 *
 * stdout carries the output (the list table, the shown record, dry-run
 * lines) and a replay's summary as one final JSON line; logs go to stderr.
 * Exit 0 when done; 1 when Kafka is unreachable, the topic or record does
 * not exist, or a replay failed; 2 for a bad flag or command; 130 when
 * interrupted.
 *
 * @module
 */
import { kafkaConnectionFrom } from "../shared/kafka/connection.ts";
import { createLogger } from "../shared/platform/log.ts";
import { registryConnectionFrom } from "../shared/kafka/registry_connection.ts";
import { shutdownSignal } from "../shared/platform/shutdown.ts";
import { checkFlagsFor, flagsGiven, splitCommandLine } from "../shared/dlq_replay/command_line.ts";
import { runCommand } from "../shared/dlq_replay/commands.ts";
import { dlqReplayerConfig as config } from "../shared/dlq_replay/config.ts";
import { selectionFrom } from "../shared/dlq_replay/selection.ts";

async function main(): Promise<number> {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) config.load(["--help"]);
  const { command, ref, flags } = config.orExit(() => splitCommandLine(Deno.args));
  const cfg = config.load(flags);
  config.orExit(() => checkFlagsFor(command, flagsGiven(flags)));
  const selection = command === "replay" ? config.orExit(() => selectionFrom(cfg)) : undefined;
  const log = createLogger({ name: "dlq-replayer", level: cfg.logLevel });
  const connection = config.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: "dlq-replayer", brokers: ["127.0.0.1:9092"] })
  );
  const registryUrl = cfg.registryUrl;
  const registry = registryUrl
    ? config.orExit(() => registryConnectionFrom({ ...cfg, registryUrl }))
    : undefined;
  const shutdown = shutdownSignal(log);
  try {
    return await runCommand({ command, ref, selection }, {
      settings: { ...cfg, topic: ref?.topic ?? cfg.topic },
      log,
      connection,
      registry,
      signal: shutdown.signal,
    });
  } finally {
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
