/**
 * The command-line replayer's commands, once its command line is parsed
 * (scripts/dlq_replayer.ts): `list`, `show` and `replay` a DLQ, printing
 * to stdout (the output, and a replay's summary as one final JSON line)
 * and logging to stderr. Each returns the process's exit code: 0 when
 * done; 1 when Kafka is unreachable, the topic or record does not exist,
 * a replay failed, or it was refused because every record failed
 * validation (without `--force`); 130 when interrupted. `replay` is
 * {@linkcode replayDlq}, the dashboard's replay too. Covered by
 * tests/dlq_replayer_test.ts on a real broker.
 *
 * @example
 * ```ts
 * import { runCommand } from "./commands.ts";
 * // Deno.exit(await runCommand({ command: "list" }, { settings, log, connection, signal }));
 * ```
 * @module
 */
import { createAdmin } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { connectOrSay } from "../kafka/connect.ts";
import { checkRegistry, RegistryError } from "../kafka/avro_codec.ts";
import type { Logger } from "../platform/log.ts";
import type { RegistryConnection } from "../kafka/registry_connection.ts";
import type { Command } from "./command_line.ts";
import { ledgerKey, type RecordRef, replayOf } from "./entry.ts";
import { listDlq, renderListing } from "./grouping.ts";
import { avroDecoder } from "./io.ts";
import { ledgerTopicName } from "./ledger.ts";
import { dryRunLine } from "./plan.ts";
import { progressReporter } from "./progress.ts";
import { type DlqContents, readDlqs } from "./read_dlq.ts";
import { replayDlq } from "./replay.ts";
import { describeSelection, needsDecodedValue, type Selection } from "./selection.ts";
import { classifyValue, describeValue, renderShown, shownRecord } from "./value_view.ts";

/** The replayer's settings the commands use (its config has these flags). */
export interface ReplayerSettings {
  /** The DLQ topic (from `show`'s record when it names one, else `--topic`). */
  topic: string;
  json: boolean;
  dryRun: boolean;
  /** Replay even a selection that all failed validation. */
  force: boolean;
  rate: number;
  transactionSize: number;
  /** Seconds without progress after which a read fails. */
  readTimeout: number;
  /** Seconds between progress log lines off a terminal. */
  progressInterval: number;
}

/** What the commands need: settings, a logger, Kafka, the registry and the shutdown signal. */
export interface CommandContext {
  settings: ReplayerSettings;
  log: Logger;
  /** The cluster; also named in the line said when it cannot be reached or refuses the login. */
  connection: KafkaConnection;
  /** Set with --registry-url. */
  registry?: RegistryConnection;
  signal: AbortSignal;
}

/** A parsed command line: `show` has its record, `replay` its selection. */
export interface ParsedCommand {
  command: Command;
  ref?: RecordRef;
  selection?: Selection;
}

/** Runs one command; returns the exit code. */
export async function runCommand(parsed: ParsedCommand, ctx: CommandContext): Promise<number> {
  const decodes = parsed.command === "show" ||
    (parsed.selection !== undefined && needsDecodedValue(parsed.selection));
  if (decodes && !await registryUsable(ctx)) return 1;
  const found = await findTopics(ctx);
  if (typeof found === "number") return found;
  switch (parsed.command) {
    case "list":
      return list(ctx, found.ledgerExists);
    case "show":
      return show(ctx, found.ledgerExists, parsed.ref!);
    case "replay":
      return replay(ctx, parsed.selection!);
  }
}

/**
 * Refused credentials or an untrusted certificate end the run with the
 * line to fix; an unreachable registry only leaves values undecoded.
 */
async function registryUsable({ registry, log }: CommandContext): Promise<boolean> {
  if (!registry) return true;
  const refused = await checkRegistry(registry).then(() => undefined, (err) => err);
  if (refused instanceof RegistryError && refused.kind !== "unreachable") {
    log.error(refused.message);
    return false;
  }
  if (refused) log.warn((refused as Error).message);
  return true;
}

/** Checks Kafka is reachable and the DLQ exists; says whether its ledger does. */
async function findTopics(
  { settings: { topic }, log, connection }: CommandContext,
): Promise<{ ledgerExists: boolean } | number> {
  // Two retries: the first look should fail fast.
  const admin = createAdmin({ ...connection, retries: 2 });
  try {
    let topics = new Set<string>();
    const listed = await connectOrSay(
      async () => {
        topics = new Set(await admin.listTopics());
      },
      connection,
      log,
    );
    if (!listed) return 1;
    if (!topics.has(topic)) {
      log.error("the dead-letter topic does not exist", { topic });
      return 1;
    }
    return { ledgerExists: topics.has(ledgerTopicName(topic)) };
  } catch (err) {
    log.error("cannot reach Kafka", { brokers: connection.brokers, error: (err as Error).message });
    return 1;
  } finally {
    await admin.close().catch(() => {});
  }
}

/** The DLQ and (when it exists) its ledger, read to their end; undefined when interrupted. */
async function readDlq(
  { connection, settings, log, signal }: CommandContext,
  withLedger: boolean,
): Promise<DlqContents | undefined> {
  const read = await readDlqs(connection, [{ topic: settings.topic, withLedger }], {
    log,
    idleTimeoutMs: settings.readTimeout * 1000,
    signal,
  });
  return read?.get(settings.topic);
}

/** `list`: the table (or JSON) of reasons. */
async function list(ctx: CommandContext, ledgerExists: boolean): Promise<number> {
  const read = await readDlq(ctx, ledgerExists);
  if (!read) return 130;
  const listing = listDlq(read.entries, read.replayed);
  const { topic, json } = ctx.settings;
  console.log(
    json
      ? JSON.stringify({ topic, ledgerTopic: ledgerTopicName(topic), ...listing })
      : renderListing(topic, listing).trimEnd(),
  );
  return 0;
}

/** `show`: one record, decoded. */
async function show(
  ctx: CommandContext,
  ledgerExists: boolean,
  ref: RecordRef,
): Promise<number> {
  const read = await readDlq(ctx, ledgerExists);
  if (!read) return 130;
  const { topic, json } = ctx.settings;
  const entry = read.entries.find((e) => e.partition === ref.partition && e.offset === ref.offset);
  if (!entry) {
    ctx.log.error("no such record in the dead-letter topic", {
      record: replayOf(topic, ref.partition, ref.offset),
    });
    return 1;
  }
  const avro = classifyValue(entry.value).kind === "avro" && ctx.registry
    ? await avroDecoder(ctx.registry)(entry.value!)
    : undefined;
  const replayed = read.replayed.has(ledgerKey(entry.partition, entry.offset));
  const shown = shownRecord(topic, entry, replayed, describeValue(entry.value, avro));
  console.log(json ? JSON.stringify(shown) : renderShown(shown).trimEnd());
  return 0;
}

/** `replay`: the selection, minus what the ledger holds, back where it came from. */
async function replay(ctx: CommandContext, selection: Selection): Promise<number> {
  const { settings, log, signal, registry } = ctx;
  const encoder = new TextEncoder();
  const outcome = await replayDlq(ctx.connection, {
    topic: settings.topic,
    selection,
    dryRun: settings.dryRun,
    force: settings.force,
    rate: settings.rate,
    transactionSize: settings.transactionSize,
    registry,
    log,
    idleTimeoutMs: settings.readTimeout * 1000,
    signal,
    progress: (total) =>
      progressReporter({
        total,
        tty: Deno.stderr.isTerminal(),
        write: (text) => Deno.stderr.writeSync(encoder.encode(text)),
        log,
        intervalMs: settings.progressInterval * 1000,
      }),
  });
  const { pending, error, ...counts } = outcome;
  if (settings.dryRun && !error && !outcome.interrupted) {
    for (const entry of pending) console.log(dryRunLine(settings.topic, entry));
  }
  if (error) log.error("replay failed", { error, replayed: outcome.replayed });
  if (outcome.refused) {
    log.error(
      `${outcome.validationWarning}; fix the validator (or the orders) first, ` +
        "or add --force to replay them anyway",
    );
  } else if (outcome.validationWarning) log.warn(outcome.validationWarning);
  console.log(JSON.stringify({
    command: "replay",
    topic: settings.topic,
    ledgerTopic: ledgerTopicName(settings.topic),
    dryRun: settings.dryRun,
    selection: describeSelection(selection),
    ...counts,
    error: error?.message,
  }));
  return error || outcome.refused ? 1 : outcome.interrupted ? 130 : 0;
}
