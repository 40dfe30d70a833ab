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
 *    into values; {@linkcode planReplay} decides what goes.
 * 4. The pending records go in transactions of `batchSize` (fewer under a
 *    `rate`), each with its ledger entries, paced and reported as they go.
 *
 * It never throws: what failed is in the outcome's `error`, with the counts
 * as far as the replay got. Covered by tests/dlq_replayer_test.ts and
 * tests/dashboard_test.ts on a real broker.
 *
 * @example
 * ```ts
 * import { replayDlq } from "./replay.ts";
 * import { groupSelection } from "./selection.ts";
 * // const outcome = await replayDlq(kafka, {
 * //   topic: "orders-dlq", selection: groupSelection("not JSON"), log, idleTimeoutMs: 60_000,
 * // });
 * ```
 * @module
 */
import type { Kafka, Producer } from "kafkajs";
import type { Logger } from "../log.ts";
import type { RegistryConnection } from "../registry/client_connection.ts";
import { sleep } from "../shutdown.ts";
import { ensureTopics } from "../topics.ts";
import { type DlqEntry, replayOf } from "./entry.ts";
import { avroDecoder, openReplayProducer, replayEntries } from "./io.ts";
import { ledgerTopicName, ledgerTopicSpec, transactionalIdFor } from "./ledger.ts";
import { countByDestination, planReplay } from "./plan.ts";
import type { ProgressReporter } from "./progress.ts";
import { pacingDelayMs, replayBatchSize } from "./rate_limit.ts";
import { listTopicNames, readDlqs, type ReadOptions } from "./read_dlq.ts";
import { describeSelection, needsDecodedValue, type Selection } from "./selection.ts";
import { classifyValue } from "./value_view.ts";

/** What to replay, and how. */
export interface ReplayOptions extends ReadOptions {
  /** The DLQ topic. */
  topic: string;
  selection: Selection;
  /** Plan only: nothing is written, not even the ledger topic. */
  dryRun?: boolean;
  /** Records per second at most; 0 (the default) for unlimited. */
  rate?: number;
  /** Records per transaction (fewer under `rate`); 200 by default. */
  batchSize?: number;
  /** Decodes Avro values for a selection that looks into them. */
  registry?: RegistryConnection;
  /** A reporter of the send's progress, given the number of records to send. */
  progress?: (total: number) => ProgressReporter;
}

/** What a replay did. */
export interface ReplayOutcome {
  matched: number;
  alreadyReplayed: number;
  unroutable: number;
  replayed: number;
  /** Records replayed (in a dry run: that would be) per destination topic. */
  to: Record<string, number>;
  /** The planned records, in order (in a dry run: what would go). */
  pending: DlqEntry[];
  interrupted: boolean;
  elapsedMs: number;
  /** What ended the replay early. */
  error?: Error;
}

/** The replayer's records per transaction unless told otherwise. */
export const DEFAULT_REPLAY_BATCH = 200;

/** Replays `request.selection` of `request.topic`, each record at most once. See the module doc. */
export async function replayDlq(kafka: Kafka, request: ReplayOptions): Promise<ReplayOutcome> {
  const started = Date.now();
  const { topic, log, signal } = request;
  const outcome: ReplayOutcome = {
    matched: 0,
    alreadyReplayed: 0,
    unroutable: 0,
    replayed: 0,
    to: {},
    pending: [],
    interrupted: false,
    elapsedMs: 0,
  };
  let producer: Producer | undefined;
  try {
    const existing = await listTopicNames(kafka);
    if (!existing.has(topic)) throw new Error(`the dead-letter topic ${topic} does not exist`);
    if (!request.dryRun) producer = await fence(kafka, topic, log);
    const read = await readDlqs(kafka, [{
      topic,
      withLedger: producer !== undefined || existing.has(ledgerTopicName(topic)),
    }], request);
    if (!read) return { ...outcome, interrupted: true, elapsedMs: Date.now() - started };
    const { entries, replayed } = read.get(topic)!;
    const decoded = await decodedValues(entries, request);
    const plan = planReplay(entries, replayed, request.selection, decoded);
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
    if (!producer) {
      outcome.to = countByDestination(plan.pending);
    } else {
      log.info("replaying", {
        records: plan.pending.length,
        ...describeSelection(request.selection),
        rate: request.rate ?? 0,
      });
      const sent = await sendPaced(producer, request, plan.pending, (done) => {
        outcome.replayed = done;
        outcome.to = countByDestination(plan.pending.slice(0, done));
      });
      outcome.interrupted = sent === "interrupted" || !!signal?.aborted;
    }
  } catch (err) {
    outcome.error = err instanceof Error ? err : new Error(String(err));
  } finally {
    await producer?.disconnect().catch(() => {});
  }
  return { ...outcome, elapsedMs: Date.now() - started };
}

/** Creates the ledger topic if missing and opens the DLQ's producer, fencing any other. */
async function fence(kafka: Kafka, dlqTopic: string, log: Logger): Promise<Producer> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [ledgerTopicSpec(dlqTopic)], log).finally(() => admin.disconnect());
  return await openReplayProducer(kafka, transactionalIdFor(dlqTopic));
}

/** The Avro values of `entries`, decoded, when the selection looks into values and a registry is given. */
async function decodedValues(
  entries: readonly DlqEntry[],
  { selection, registry }: ReplayOptions,
): Promise<Map<DlqEntry, unknown> | undefined> {
  if (!registry || !needsDecodedValue(selection)) return undefined;
  const decode = avroDecoder(registry);
  const decoded = new Map<DlqEntry, unknown>();
  for (const entry of entries) {
    if (classifyValue(entry.value).kind !== "avro") continue;
    const result = await decode(entry.value!);
    if ("decoded" in result) decoded.set(entry, result.decoded);
  }
  return decoded;
}

/** Sends `pending` in paced transactions with their ledger entries; `sent` after each. */
async function sendPaced(
  producer: Producer,
  { topic, rate = 0, batchSize = DEFAULT_REPLAY_BATCH, signal, progress }: ReplayOptions,
  pending: DlqEntry[],
  sent: (done: number) => void,
): Promise<"done" | "interrupted"> {
  const reporter = progress?.(pending.length);
  const size = replayBatchSize(rate, batchSize);
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
      await replayEntries(producer, topic, batch);
      done += batch.length;
      sent(done);
      reporter?.update(done);
    }
    return "done";
  } finally {
    reporter?.finish(done);
  }
}
