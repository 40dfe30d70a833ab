/**
 * The dead-letter queue inspector and replayer, for any `<topic>-dlq`:
 *
 * - `list`: the records grouped by reason: count, how many were already
 *   replayed, oldest and newest `dlq.failed.at`, stage, error class, where
 *   a replay goes;
 * - `show <partition>/<offset>`: one record's headers and value (JSON
 *   pretty-printed; Avro decoded through the registry with
 *   `--registry-url`; else a hex preview);
 * - `replay` a selection (`--all`, or `--reason`, `--order-id`, `--since`,
 *   `--until`; see shared/dlq_replay/selection.ts) back to each record's
 *   `dlq.replay.topic` (else `dlq.original.topic`), with its original key
 *   and value and fresh headers (no `dlq.*`/`retry.*`: a fresh attempt
 *   count; `replay.of` and `replay.at` added). `--dry-run` prints what
 *   would go and writes nothing; `--rate` caps records per second; a
 *   progress bar (or, off a terminal, progress log lines) goes to stderr.
 *
 * ```sh
 * deno run --allow-net --allow-env=<see scripts/catalog.ts> --allow-read \
 *   scripts/dlq_replayer.ts list --topic orders-dlq
 * ```
 *
 * Replays happen at most once per DLQ record: each batch of replayed
 * records and its entries in the ledger topic `<dlqTopic>-replayed`
 * (compacted, keyed `<partition>/<offset>`) are one Kafka transaction, and
 * a replay reads the whole ledger first (read_committed) and skips what it
 * holds. Its transactional id is derived from the DLQ topic, so a second
 * replayer of the same DLQ fences the first. The whole DLQ is read into
 * memory (dead letters are few, or something else is wrong).
 *
 * stdout carries the output (the list table, the shown record, dry-run
 * lines) and a replay's summary as one final JSON line; logs go to stderr.
 * Exit 0 when done; 1 when Kafka is unreachable, the topic or record does
 * not exist, or a replay failed; 2 for a bad flag or command; 130 when
 * interrupted.
 *
 * @module
 */
import type { Kafka, KafkaMessage } from "kafkajs";
import { defineConfig } from "../shared/config.ts";
import { createKafka, kafkaConnectionFrom, kafkaFlags, kafkaLogger } from "../shared/kafka.ts";
import { createLogger, type Logger, logLevelFlag } from "../shared/log.ts";
import { checkRegistry, RegistryError } from "../shared/avro_codec.ts";
import {
  optionalRegistryFlags,
  type RegistryConnection,
  registryConnectionFrom,
} from "../shared/registry/client_connection.ts";
import { shutdownSignal, sleep } from "../shared/shutdown.ts";
import { ensureTopics } from "../shared/topics.ts";
import {
  checkFlagsFor,
  type Command,
  flagsGiven,
  splitCommandLine,
} from "../shared/dlq_replay/command_line.ts";
import {
  type DlqEntry,
  failedAtOf,
  keyText,
  ledgerKey,
  type RecordRef,
  replayOf,
  replayTopicOf,
  toDlqEntry,
} from "../shared/dlq_replay/entry.ts";
import { listDlq, renderListing } from "../shared/dlq_replay/grouping.ts";
import {
  avroDecoder,
  openReplayProducer,
  readToEnd,
  replayEntries,
} from "../shared/dlq_replay/io.ts";
import {
  type LedgerRecord,
  ledgerTopicName,
  ledgerTopicSpec,
  replayedKeys,
  transactionalIdFor,
} from "../shared/dlq_replay/ledger.ts";
import { progressReporter } from "../shared/dlq_replay/progress.ts";
import { pacingDelayMs, replayBatchSize } from "../shared/dlq_replay/rate_limit.ts";
import {
  describeSelection,
  jsonValueOf,
  matchesSelection,
  needsDecodedValue,
  type Selection,
  selectionFrom,
} from "../shared/dlq_replay/selection.ts";
import {
  classifyValue,
  describeValue,
  renderShown,
  shownRecord,
} from "../shared/dlq_replay/value_view.ts";

const config = defineConfig({
  name: "dlq_replayer",
  summary: "Lists, shows and replays the records of a dead-letter topic, each at most once.",
  usage: [
    "dlq_replayer <command> [flags]",
    "  list                          records grouped by reason (--json for data)",
    "  show <partition>/<offset>     one record: headers and decoded value",
    "  replay <selection> [--dry-run] [--rate N]",
    "                                selection: --all, or any of --reason, --order-id,",
    "                                --since, --until (all must match)",
    "  e.g. dlq_replayer replay --topic orders-dlq --reason 'not JSON' --dry-run",
  ].join("\n"),
  flags: {
    topic: {
      type: "string",
      env: "DLQ_TOPIC",
      default: "orders-dlq",
      description: "the dead-letter topic; its ledger is <topic>-replayed",
    },
    all: { type: "boolean", description: "replay: select every record" },
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
    rate: {
      type: "number",
      env: "DLQ_REPLAY_RATE",
      min: 0,
      default: 0,
      description: "replay: at most this many records per second (0 = unlimited)",
    },
    batchSize: {
      type: "number",
      integer: true,
      min: 1,
      max: 10_000,
      default: 200,
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

type Config = ReturnType<typeof config.load>;

/** What a command needs: the config, a logger, clients and the shutdown signal. */
interface Context {
  cfg: Config;
  log: Logger;
  kafka: Kafka;
  /** Set with --registry-url. */
  registry?: RegistryConnection;
  signal: AbortSignal;
}

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
  const topic = ref?.topic ?? cfg.topic;
  const shutdown = shutdownSignal(log);
  try {
    const decodes = command === "show" || (selection && needsDecodedValue(selection));
    if (registry && decodes) {
      // Refused credentials or an untrusted certificate end the run with
      // the line to fix; an unreachable registry only leaves values undecoded.
      const refused = await checkRegistry(registry).then(() => undefined, (err) => err);
      if (refused instanceof RegistryError && refused.kind !== "unreachable") {
        log.error(refused.message);
        return 1;
      }
      if (refused) log.warn((refused as Error).message);
    }
    const ctx = { cfg: { ...cfg, topic }, log, registry, signal: shutdown.signal };
    const found = await findTopics(
      createKafka({ ...connection, retries: 2 }, kafkaLogger(log)),
      ctx.cfg.topic,
      log,
      connection.brokers,
    );
    if (typeof found === "number") return found;
    const kafka = createKafka(connection, kafkaLogger(log));
    return await run(command, { ...ctx, kafka }, found.ledgerExists, ref, selection);
  } finally {
    shutdown.dispose();
  }
}

function run(
  command: Command,
  ctx: Context,
  ledgerExists: boolean,
  ref: RecordRef | undefined,
  selection: Selection | undefined,
): Promise<number> {
  switch (command) {
    case "list":
      return list(ctx, ledgerExists);
    case "show":
      return show(ctx, ledgerExists, ref!);
    case "replay":
      return replay(ctx, ledgerExists, selection!);
  }
}

/** Checks Kafka is reachable and the DLQ exists; says whether its ledger does. */
async function findTopics(
  kafka: Kafka,
  topic: string,
  log: Logger,
  brokers: string[],
): Promise<{ ledgerExists: boolean } | number> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = new Set(await admin.listTopics());
    if (!topics.has(topic)) {
      log.error("the dead-letter topic does not exist", { topic });
      return 1;
    }
    return { ledgerExists: topics.has(ledgerTopicName(topic)) };
  } catch (err) {
    log.error("cannot reach Kafka", { brokers, error: (err as Error).message });
    return 1;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The DLQ's records (those `keep` wants) and the ledger's replayed keys, read to their end. */
async function readDlq(
  { cfg, log, kafka, signal }: Context,
  ledgerExists: boolean,
  keep: (entry: DlqEntry) => boolean = () => true,
): Promise<{ entries: DlqEntry[]; replayed: Set<string> } | undefined> {
  const ledgerTopic = ledgerTopicName(cfg.topic);
  const entries: DlqEntry[] = [];
  const ledger: LedgerRecord[] = [];
  const { interrupted } = await readToEnd(kafka, {
    topics: ledgerExists ? [cfg.topic, ledgerTopic] : [cfg.topic],
    onMessage: (topic: string, partition: number, message: KafkaMessage) => {
      if (topic === ledgerTopic) ledger.push(message);
      else {
        const entry = toDlqEntry(partition, message);
        if (keep(entry)) entries.push(entry);
      }
    },
    log,
    idleTimeoutMs: cfg.readTimeout * 1000,
    signal,
  });
  if (interrupted) return undefined;
  const byPlace = (a: DlqEntry, b: DlqEntry) =>
    a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));
  return { entries: entries.sort(byPlace), replayed: replayedKeys(ledger) };
}

/** `list`: the table (or JSON) of reasons. */
async function list(ctx: Context, ledgerExists: boolean): Promise<number> {
  const read = await readDlq(ctx, ledgerExists);
  if (!read) return 130;
  const listing = listDlq(read.entries, read.replayed);
  const { topic } = ctx.cfg;
  console.log(
    ctx.cfg.json
      ? JSON.stringify({ topic, ledgerTopic: ledgerTopicName(topic), ...listing })
      : renderListing(topic, listing).trimEnd(),
  );
  return 0;
}

/** `show`: one record, decoded. */
async function show(ctx: Context, ledgerExists: boolean, ref: RecordRef): Promise<number> {
  const read = await readDlq(
    ctx,
    ledgerExists,
    (e) => e.partition === ref.partition && e.offset === ref.offset,
  );
  if (!read) return 130;
  const [entry] = read.entries;
  if (!entry) {
    ctx.log.error("no such record in the dead-letter topic", {
      record: replayOf(ctx.cfg.topic, ref.partition, ref.offset),
    });
    return 1;
  }
  const avro = classifyValue(entry.value).kind === "avro" && ctx.registry
    ? await avroDecoder(ctx.registry)(entry.value!)
    : undefined;
  const replayed = read.replayed.has(ledgerKey(entry.partition, entry.offset));
  const shown = shownRecord(ctx.cfg.topic, entry, replayed, describeValue(entry.value, avro));
  console.log(ctx.cfg.json ? JSON.stringify(shown) : renderShown(shown).trimEnd());
  return 0;
}

/** `replay`: the selection, minus what the ledger holds, back where it came from. */
async function replay(ctx: Context, ledgerExists: boolean, selection: Selection): Promise<number> {
  const { cfg, log, kafka, signal } = ctx;
  const started = Date.now();
  const ledgerTopic = ledgerTopicName(cfg.topic);
  const summary = {
    command: "replay",
    topic: cfg.topic,
    ledgerTopic,
    dryRun: cfg.dryRun,
    selection: describeSelection(selection),
    matched: 0,
    alreadyReplayed: 0,
    unroutable: 0,
    replayed: 0,
    to: {} as Record<string, number>,
    interrupted: false,
    elapsedMs: 0,
    error: undefined as string | undefined,
  };
  const finish = (code: number) => {
    summary.elapsedMs = Date.now() - started;
    console.log(JSON.stringify(summary));
    return code;
  };
  let producer: Awaited<ReturnType<typeof openReplayProducer>> | undefined;
  try {
    if (!cfg.dryRun) {
      // Fence any other replayer of this DLQ before reading the ledger, so none
      // can commit a replay this run does not see.
      const admin = kafka.admin();
      await admin.connect();
      await ensureTopics(admin, [ledgerTopicSpec(cfg.topic)], log).finally(() =>
        admin.disconnect()
      );
      producer = await openReplayProducer(kafka, transactionalIdFor(cfg.topic));
    }
    const read = await readDlq(ctx, ledgerExists || !cfg.dryRun);
    if (!read) return finish(130);
    const selected = await selectEntries(read.entries, selection, ctx.registry);
    summary.matched = selected.length;
    const pending: DlqEntry[] = [];
    for (const entry of selected) {
      if (read.replayed.has(ledgerKey(entry.partition, entry.offset))) summary.alreadyReplayed++;
      else if (!replayTopicOf(entry)) {
        summary.unroutable++;
        log.warn("no topic to replay to (no dlq.replay.topic or dlq.original.topic); skipped", {
          record: replayOf(cfg.topic, entry.partition, entry.offset),
        });
      } else pending.push(entry);
    }
    if (cfg.dryRun) {
      for (const entry of pending) {
        console.log(dryRunLine(cfg.topic, entry));
        count(summary.to, replayTopicOf(entry)!);
      }
      return finish(0);
    }
    log.info("replaying", { records: pending.length, ...summary.selection, rate: cfg.rate });
    const outcome = await replayPending(ctx, producer!, pending, (entry) => {
      summary.replayed++;
      count(summary.to, replayTopicOf(entry)!);
    });
    summary.interrupted = outcome === "interrupted" || signal.aborted;
    return finish(summary.interrupted ? 130 : 0);
  } catch (err) {
    summary.error = (err as Error).message;
    log.error("replay failed", { error: err, replayed: summary.replayed });
    return finish(1);
  } finally {
    await producer?.disconnect().catch(() => {});
  }
}

/** The selected entries; Avro values are decoded first when `--order-id` needs them. */
async function selectEntries(
  entries: DlqEntry[],
  selection: Selection,
  registry: RegistryConnection | undefined,
): Promise<DlqEntry[]> {
  const decode = registry && needsDecodedValue(selection) ? avroDecoder(registry) : undefined;
  const out: DlqEntry[] = [];
  for (const entry of entries) {
    let decoded: unknown = jsonValueOf(entry.value);
    if (decoded === undefined && decode && classifyValue(entry.value).kind === "avro") {
      const result = await decode(entry.value!);
      if ("decoded" in result) decoded = result.decoded;
    }
    if (matchesSelection(entry, selection, decoded)) out.push(entry);
  }
  return out;
}

/** Sends `pending` in paced transactions with their ledger entries, showing progress. */
async function replayPending(
  { cfg, log, signal }: Context,
  producer: Awaited<ReturnType<typeof openReplayProducer>>,
  pending: DlqEntry[],
  replayed: (entry: DlqEntry) => void,
): Promise<"done" | "interrupted"> {
  const encoder = new TextEncoder();
  const progress = progressReporter({
    total: pending.length,
    tty: Deno.stderr.isTerminal(),
    write: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    log,
    intervalMs: cfg.progressInterval * 1000,
  });
  const batchSize = replayBatchSize(cfg.rate, cfg.batchSize);
  const startMs = Date.now();
  let sent = 0;
  progress.update(0);
  try {
    while (sent < pending.length) {
      const batch = pending.slice(sent, sent + batchSize);
      const wait = pacingDelayMs({
        rate: cfg.rate,
        startMs,
        sent,
        batch: batch.length,
        nowMs: Date.now(),
      });
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) return "interrupted";
      await replayEntries(producer, cfg.topic, batch);
      sent += batch.length;
      batch.forEach(replayed);
      progress.update(sent);
    }
    return "done";
  } finally {
    progress.finish(sent);
  }
}

function dryRunLine(dlqTopic: string, entry: DlqEntry): string {
  return [
    `would replay ${replayOf(dlqTopic, entry.partition, entry.offset)} -> ${replayTopicOf(entry)}`,
    `key=${keyText(entry) ?? "(null)"}`,
    `failed=${failedAtOf(entry)?.toISOString() ?? "-"}`,
    `reason=${JSON.stringify(entry.dlq.reason ?? "")}`,
  ].join("  ");
}

function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

if (import.meta.main) Deno.exit(await main());
