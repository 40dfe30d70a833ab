/**
 * Reading dead-letter topics and their ledgers to their end (read_committed,
 * through shared/kafka/read_to_end.ts): each DLQ's records as
 * {@linkcode DlqEntry}s and the ledger keys of those already replayed. The
 * one read of the command-line replayer's `list`, `show` and `replay` and of
 * the dashboard's DLQ panel. Covered by tests/dlq_replayer_test.ts and
 * tests/dashboard_test.ts on a real broker.
 *
 * @example
 * ```ts
 * import { readDlqTopics } from "./read_dlq.ts";
 * // const read = await readDlqTopics(connection, ["orders-dlq"], { log, idleTimeoutMs: 60_000 });
 * // read?.get("orders-dlq")?.entries.length;
 * ```
 * @module
 */
import { createAdmin } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { readToEnd } from "../kafka/read_to_end.ts";
import { consumedMessage } from "../kafka/records.ts";
import type { Logger } from "../platform/log.ts";
import { type DlqEntry, toDlqEntry } from "./entry.ts";
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
  /** Without progress this long, the read fails (see shared/kafka/read_to_end.ts). */
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
  connection: KafkaConnection,
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
  const { interrupted } = await readToEnd(connection, {
    topics,
    groupId: `${options.groupPrefix ?? "dlq-replayer-read"}-${crypto.randomUUID()}`,
    onRecord: (message) => {
      const record = consumedMessage(message);
      const ledger = ledgerOf.get(message.topic);
      if (ledger) ledger.records.push(record);
      else contents.get(message.topic)!.entries.push(toDlqEntry(message.partition, record));
    },
    idleTimeoutMs: options.idleTimeoutMs,
    signal: options.signal,
  });
  if (interrupted) return undefined;
  for (const { dlq, records } of ledgerOf.values()) {
    contents.get(dlq)!.replayed = replayedKeys(records);
  }
  return contents;
}

/** The names of the cluster's topics, right now. */
export async function listTopicNames(connection: KafkaConnection): Promise<Set<string>> {
  const admin = createAdmin(connection);
  return new Set(await admin.listTopics().finally(() => admin.close()));
}

/**
 * Reads those of `dlqTopics` that exist, with the ledgers that exist; a
 * topic that does not exist maps to undefined. Undefined when interrupted.
 */
export async function readDlqTopics(
  connection: KafkaConnection,
  dlqTopics: readonly string[],
  options: ReadOptions,
): Promise<Map<string, DlqContents | undefined> | undefined> {
  const existing = await listTopicNames(connection);
  const read = await readDlqs(
    connection,
    dlqTopics.filter((t) => existing.has(t)).map((topic) => ({
      topic,
      withLedger: existing.has(ledgerTopicName(topic)),
    })),
    options,
  );
  return read && new Map(dlqTopics.map((t) => [t, read.get(t)]));
}
