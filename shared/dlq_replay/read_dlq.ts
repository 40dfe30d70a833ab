/**
 * Reading dead-letter topics and their ledgers to their end (read_committed,
 * through {@linkcode readToEnd}): each DLQ's records as
 * {@linkcode DlqEntry}s and the ledger keys of those already replayed. The
 * one read of the command-line replayer's `list`, `show` and `replay` and of
 * the dashboard's DLQ panel. Covered by tests/dlq_replayer_test.ts and
 * tests/dashboard_test.ts on a real broker.
 *
 * @example
 * ```ts
 * import { readDlqTopics } from "./read_dlq.ts";
 * // const read = await readDlqTopics(kafka, ["orders-dlq"], { log, idleTimeoutMs: 60_000 });
 * // read?.get("orders-dlq")?.entries.length;
 * ```
 * @module
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "../platform/log.ts";
import { type DlqEntry, toDlqEntry } from "./entry.ts";
import { readToEnd } from "./io.ts";
import { type LedgerRecord, ledgerTopicName, replayedKeys } from "./ledger.ts";

/** A DLQ's records and the ledger keys (`<partition>/<offset>`) of those replayed. */
export interface DlqContents {
  entries: DlqEntry[];
  replayed: Set<string>;
}

/** One DLQ to read; `withLedger` when its ledger topic exists (or was just created). */
export interface DlqToRead {
  topic: string;
  withLedger: boolean;
}

/** How a read goes. */
export interface ReadOptions {
  log: Logger;
  /** Without progress this long, the read fails (see {@linkcode readToEnd}). */
  idleTimeoutMs: number;
  /** The prefix of the read's consumer group, as the ACLs grant it. */
  groupPrefix?: string;
  signal?: AbortSignal;
}

/**
 * Reads every record of the `dlqs` (which must exist) and of their ledgers,
 * in one consumer. Undefined when `signal` interrupted the read: a partial
 * ledger must not be acted on.
 */
export async function readDlqs(
  kafka: Kafka,
  dlqs: readonly DlqToRead[],
  options: ReadOptions,
): Promise<Map<string, DlqContents> | undefined> {
  const contents = new Map<string, DlqContents>();
  const ledgerOf = new Map<string, { dlq: string; records: LedgerRecord[] }>();
  const topics: string[] = [];
  for (const { topic, withLedger } of dlqs) {
    contents.set(topic, { entries: [], replayed: new Set() });
    topics.push(topic);
    if (withLedger) {
      ledgerOf.set(ledgerTopicName(topic), { dlq: topic, records: [] });
      topics.push(ledgerTopicName(topic));
    }
  }
  if (topics.length === 0) return contents;
  const { interrupted } = await readToEnd(kafka, {
    topics,
    onMessage: (topic, partition, message) => {
      const ledger = ledgerOf.get(topic);
      if (ledger) ledger.records.push(message);
      else contents.get(topic)!.entries.push(toDlqEntry(partition, message));
    },
    log: options.log,
    idleTimeoutMs: options.idleTimeoutMs,
    groupPrefix: options.groupPrefix,
    signal: options.signal,
  });
  if (interrupted) return undefined;
  for (const { dlq, records } of ledgerOf.values()) {
    contents.get(dlq)!.replayed = replayedKeys(records);
  }
  return contents;
}

/** The names of the cluster's topics, right now. */
export async function listTopicNames(kafka: Kafka): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  return new Set(await admin.listTopics().finally(() => admin.disconnect()));
}

/**
 * Reads those of `dlqTopics` that exist, with the ledgers that exist; a
 * topic that does not exist maps to undefined. Undefined when interrupted.
 */
export async function readDlqTopics(
  kafka: Kafka,
  dlqTopics: readonly string[],
  options: ReadOptions,
): Promise<Map<string, DlqContents | undefined> | undefined> {
  const existing = await listTopicNames(kafka);
  const read = await readDlqs(
    kafka,
    dlqTopics.filter((t) => existing.has(t)).map((topic) => ({
      topic,
      withLedger: existing.has(ledgerTopicName(topic)),
    })),
    options,
  );
  return read && new Map(dlqTopics.map((t) => [t, read.get(t)]));
}
