/**
 * The one replay of a DLQ selection, for the command-line replayer and the
 * dashboard alike: fence, read, plan, send.
 *
 * 1. Unless it is a dry run, the ledger topic is created if missing and the
 *    DLQ's transactional producer is opened, which fences any other replayer
 *    of this DLQ (the CLI's or the dashboard's: the id is the same) before
 *    the ledger is read, so none can commit a replay this run does not see.
 * 2. The DLQ and its ledger are read to their end (shared/dlq_replay/read_dlq.ts).
 * 3. Avro values are decoded through the registry when the selection looks
 *    into values; {@linkcode planReplay} decides what goes. When every
 *    record to go failed validation, nothing goes unless `force`: unchanged,
 *    they would be dead-lettered again ({@linkcode validationWarning}).
 * 4. The pending records go in transactions of `transactionSize` (fewer under a
 *    `rate`), each with its ledger entries, paced and reported as they go.
 *
 * It never throws: what failed is in the outcome's `error`, with the counts
 * as far as the replay got. The steps run over a {@linkcode ReplayIo}, so
 * their order is unit-tested with fakes (replay_test.ts);
 * {@linkcode kafkaReplayIo} is the real one, covered by
 * tests/dlq_replayer_test.ts and tests/dashboard_test.ts on a real broker.
 *
 * @example
 * ```ts
 * import { replayDlq } from "./replay.ts";
 * import { groupSelection } from "./selection.ts";
 * // const outcome = await replayDlq(connection, {
 * //   topic: "orders-dlq", selection: groupSelection("not JSON"), log, idleTimeoutMs: 60_000,
 * // });
 * // outcome.replayed; // records sent back, each with its ledger entry
 * ```
 * @module
 */
import type { KafkaConnection } from "../kafka/connection.ts";
import type { Logger } from "../platform/log.ts";
import type { RegistryConnection } from "../kafka/registry_connection.ts";
import { sleep } from "../platform/shutdown.ts";
import { ensureTopicsAt } from "../kafka/topics.ts";
import { type DlqEntry, replayOf } from "./entry.ts";
import { openTransactionalProducer } from "../kafka/client.ts";
import { avroDecoder, replayEntries } from "./io.ts";
import { ledgerTopicName, ledgerTopicSpec, transactionalIdFor } from "./ledger.ts";
import { countByDestination, planReplay, validationWarning } from "./plan.ts";
import type { ProgressReporter } from "./progress.ts";
import { pacingDelayMs, replayTransactionSize } from "./rate_limit.ts";
import {
  type DlqContents,
  type DlqToRead,
  listTopicNames,
  readDlqs,
  type ReadOptions,
} from "./read_dlq.ts";
import { describeSelection, needsDecodedValue, type Selection } from "./selection.ts";
import { classifyValue } from "./value_view.ts";

/** What to replay, and how. */
export interface ReplayOptions {
  /** The DLQ topic. */
  topic: string;
  selection: Selection;
  /** Plan only: nothing is written, not even the ledger topic. */
  dryRun?: boolean;
  /** Replay even records that all failed validation (say, after a fix of the validator). */
  force?: boolean;
  /** Records per second at most; 0 (the default) for unlimited. */
  rate?: number;
  /** Records per transaction (fewer under `rate`); {@linkcode DEFAULT_REPLAY_TRANSACTION_SIZE} by default. */
  transactionSize?: number;
  log: Logger;
  signal?: AbortSignal;
  /** A reporter of the send's progress, given the number of records to send. */
  progress?: (total: number) => ProgressReporter;
}

/** What a replay did. */
export interface ReplayOutcome {
  matched: number;
  alreadyReplayed: number;
  unroutable: number;
  replayed: number;
  /** Records replayed (in a dry run or a refused replay: that would be) per destination topic. */
  to: Record<string, number>;
  /** The planned records, in order (in a dry run: what would go). */
  pending: DlqEntry[];
  /** Set when every planned record failed validation: {@linkcode validationWarning}'s line. */
  validationWarning?: string;
  /** Nothing was sent because of the warning: replay with `force` to send them anyway. */
  refused: boolean;
  interrupted: boolean;
  elapsedMs: number;
  /** What ended the replay early. */
  error?: Error;
}

/** The replayer's records per transaction unless told otherwise. */
export const DEFAULT_REPLAY_TRANSACTION_SIZE = 200;

/** The DLQ's transactional producer, once it has fenced any other. */
export interface ReplaySender {
  /** Sends `batch` back and its ledger entries, in one transaction. */
  send(batch: readonly DlqEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** The Kafka (and registry) side of a replay. */
export interface ReplayIo {
  /** The cluster's topic names. */
  topicNames(): Promise<Set<string>>;
  /** Creates the ledger topic if missing and opens the DLQ's producer, fencing any other. */
  fence(): Promise<ReplaySender>;
  /** Reads the DLQ (and its ledger) to their end; undefined when interrupted. */
  read(dlq: DlqToRead): Promise<DlqContents | undefined>;
  /** Decodes a Confluent-framed Avro value; absent without a registry. */
  decode?: (value: Uint8Array) => Promise<{ decoded: unknown } | { error: string }>;
}

/** Replays `options.selection` of `options.topic` on `connection`, each record at most once. */
export function replayDlq(
  connection: KafkaConnection,
  options: ReplayOptions & ReadOptions & { registry?: RegistryConnection },
): Promise<ReplayOutcome> {
  return runReplay(kafkaReplayIo(connection, options), options);
}

/** The replay's steps over `io`; see the module doc. */
export async function runReplay(io: ReplayIo, options: ReplayOptions): Promise<ReplayOutcome> {
  const started = Date.now();
  const { topic, log, signal } = options;
  const outcome: ReplayOutcome = {
    matched: 0,
    alreadyReplayed: 0,
    unroutable: 0,
    replayed: 0,
    to: {},
    pending: [],
    refused: false,
    interrupted: false,
    elapsedMs: 0,
  };
  let sender: ReplaySender | undefined;
  try {
    const existing = await io.topicNames();
    if (!existing.has(topic)) throw new Error(`the dead-letter topic ${topic} does not exist`);
    if (!options.dryRun) sender = await io.fence();
    const read = await io.read({
      topic,
      withLedger: sender !== undefined || existing.has(ledgerTopicName(topic)),
    });
    if (!read) {
      outcome.interrupted = true;
      return outcome;
    }
    const decoded = await decodedValues(io, read.entries, options.selection);
    const plan = planReplay(read.entries, read.replayed, options.selection, decoded);
    for (const entry of plan.unroutable) {
      log.warn("no topic to replay to (no dlq.replay.topic or dlq.original.topic); skipped", {
        record: replayOf(topic, entry.partition, entry.offset),
      });
    }
    Object.assign(outcome, {
      matched: plan.matched,
      alreadyReplayed: plan.alreadyReplayed,
      unroutable: plan.unroutable.length,
      pending: plan.pending,
    });
    const warning = validationWarning(plan.pending);
    if (warning) outcome.validationWarning = warning;
    if (!sender || (warning && !options.force)) {
      outcome.refused = sender !== undefined;
      outcome.to = countByDestination(plan.pending);
      return outcome;
    }
    log.info("replaying", {
      records: plan.pending.length,
      ...describeSelection(options.selection),
      rate: options.rate ?? 0,
    });
    const sent = await sendPaced(sender, options, plan.pending, (done) => {
      outcome.replayed = done;
      outcome.to = countByDestination(plan.pending.slice(0, done));
    });
    outcome.interrupted = sent === "interrupted" || !!signal?.aborted;
    return outcome;
  } catch (err) {
    outcome.error = err instanceof Error ? err : new Error(String(err));
    return outcome;
  } finally {
    await sender?.close().catch(() => {});
    // The returned outcome is this object: its time includes closing the producer.
    outcome.elapsedMs = Date.now() - started;
  }
}

/** The Avro values of `entries`, decoded, when the selection looks into values and `io` can. */
async function decodedValues(
  io: ReplayIo,
  entries: readonly DlqEntry[],
  selection: Selection,
): Promise<Map<DlqEntry, unknown> | undefined> {
  if (!io.decode || !needsDecodedValue(selection)) return undefined;
  const decoded = new Map<DlqEntry, unknown>();
  for (const entry of entries) {
    if (classifyValue(entry.value).kind !== "avro") continue;
    const result = await io.decode(entry.value!);
    if ("decoded" in result) decoded.set(entry, result.decoded);
  }
  return decoded;
}

/** Sends `pending` in paced transactions with their ledger entries; `sent` after each. */
async function sendPaced(
  sender: ReplaySender,
  { rate = 0, transactionSize = DEFAULT_REPLAY_TRANSACTION_SIZE, signal, progress }: ReplayOptions,
  pending: DlqEntry[],
  sent: (done: number) => void,
): Promise<"done" | "interrupted"> {
  const reporter = progress?.(pending.length);
  const size = replayTransactionSize(rate, transactionSize);
  const startMs = Date.now();
  let done = 0;
  reporter?.update(0);
  try {
    while (done < pending.length) {
      const batch = pending.slice(done, done + size);
      const wait = pacingDelayMs({
        rate,
        startMs,
        sent: done,
        batch: batch.length,
        nowMs: Date.now(),
      });
      if (wait > 0) await sleep(wait, signal);
      if (signal?.aborted) return "interrupted";
      await sender.send(batch);
      done += batch.length;
      sent(done);
      reporter?.update(done);
    }
    return "done";
  } finally {
    reporter?.finish(done);
  }
}

/** The real {@linkcode ReplayIo}: the DLQ `options.topic` on `connection`, values decoded through `options.registry`. */
export function kafkaReplayIo(
  connection: KafkaConnection,
  options: ReadOptions & { topic: string; registry?: RegistryConnection },
): ReplayIo {
  const { topic, log } = options;
  return {
    topicNames: () => listTopicNames(connection),
    async fence() {
      await ensureTopicsAt(connection, [ledgerTopicSpec(topic)], log);
      const producer = await openTransactionalProducer(connection, transactionalIdFor(topic));
      return {
        send: async (batch) => void await replayEntries(producer, topic, batch),
        close: () => producer.close(),
      };
    },
    read: async (dlq) => (await readDlqs(connection, [dlq], options))?.get(dlq.topic),
    decode: options.registry ? avroDecoder(options.registry) : undefined,
  };
}
