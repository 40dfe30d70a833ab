/**
 * The replay ledger: a compacted topic `<dlqTopic>-replayed` with one
 * record per replayed DLQ record, keyed by its `<partition>/<offset>`, value
 * `{"replayedAt": ISO, "to": topic}`. The replayer writes a batch's
 * replayed records and their ledger entries in one transaction, and reads
 * the ledger (read_committed) before it selects, so a record is replayed
 * at most once however often the replayer runs or crashes. A tombstone
 * (null value) for a key forgets it, which is how a record is made
 * replayable again on purpose.
 *
 * Also here: the replayed record itself (original key and value, fresh
 * headers) and the transactional id of a DLQ's replays.
 *
 * @example
 * ```ts
 * import { ledgerEntry, ledgerTopicSpec, replayedKeys } from "./ledger.ts";
 * ledgerTopicSpec("orders-dlq").name; // "orders-dlq-replayed"
 * const e = ledgerEntry(0, "5", "orders", new Date(0));
 * replayedKeys([{ key: e.key, value: new TextEncoder().encode(e.value) }]).has("0/5"); // true
 * ```
 * @module
 */
import { bytesText } from "../retry/dead_letter.ts";
import type { TopicSpec } from "../kafka/topics.ts";
import { type DlqEntry, ledgerKey, replayOf, replayTopicOf } from "./entry.ts";

/** The ledger topic of a DLQ topic. */
export function ledgerTopicName(dlqTopic: string): string {
  return `${dlqTopic}-replayed`;
}

/** How the ledger topic is created: compacted (the last entry per key is all that matters). */
export function ledgerTopicSpec(dlqTopic: string): TopicSpec {
  return {
    name: ledgerTopicName(dlqTopic),
    partitions: 1,
    replication: -1,
    cleanup: "compact",
    purpose: `which records of ${dlqTopic} were replayed, keyed by partition/offset`,
  };
}

/**
 * The transactional id of every replay of `dlqTopic`: the same for every
 * run, so a new run's producer fences an older one still running (and
 * aborts its open transaction) before it reads the ledger.
 */
export function transactionalIdFor(dlqTopic: string): string {
  return `dlq-replayer-${dlqTopic}`;
}

/** A ledger record, ready to send. */
export interface LedgerEntry {
  key: string;
  value: string;
}

/** The ledger record saying DLQ record `partition/offset` was replayed to `to` at `at`. */
export function ledgerEntry(partition: number, offset: string, to: string, at: Date): LedgerEntry {
  return {
    key: ledgerKey(partition, offset),
    value: JSON.stringify({ replayedAt: at.toISOString(), to }),
  };
}

/** A consumed ledger record. */
export interface LedgerRecord {
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
}

/**
 * The ledger keys of replayed records, from the ledger read in offset
 * order: an entry adds its key, a tombstone removes it; keyless records
 * are ignored. Any non-null value counts (its JSON is for people). Pure.
 */
export function replayedKeys(records: Iterable<LedgerRecord>): Set<string> {
  const keys = new Set<string>();
  for (const r of records) {
    if (r.key === null) continue;
    const key = bytesText(r.key)!;
    if (r.value === null) keys.delete(key);
    else keys.add(key);
  }
  return keys;
}

/** Header prefixes a replay drops: the failure's history, and any earlier replay's marks. */
export const DROPPED_HEADER_PREFIXES = ["dlq.", "retry.", "replay."] as const;

/** Headers a replayed record carries. */
export const REPLAY_HEADERS = {
  /** `<dlqTopic>/<partition>/<offset>` of the dead letter it came from. */
  of: "replay.of",
  /** When it was replayed (ISO). */
  at: "replay.at",
} as const;

/** A replayed record, ready to send. */
export interface ReplayMessage {
  topic: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, string>;
}

/**
 * The record a replay of `entry` sends: to its replay topic, with its
 * original key and value, and fresh headers: none of `dlq.*`, `retry.*`
 * (so the stage starts a fresh attempt count) or an older `replay.*`; any
 * other header is kept; plus `replay.of` and `replay.at`. Undefined when
 * the entry names no topic to go back to. Pure.
 */
export function replayMessage(
  dlqTopic: string,
  entry: DlqEntry,
  at: Date,
): ReplayMessage | undefined {
  const topic = replayTopicOf(entry);
  if (!topic) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(entry.headers)) {
    if (!DROPPED_HEADER_PREFIXES.some((p) => name.startsWith(p))) headers[name] = v;
  }
  headers[REPLAY_HEADERS.of] = replayOf(dlqTopic, entry.partition, entry.offset);
  headers[REPLAY_HEADERS.at] = at.toISOString();
  return { topic, key: entry.key, value: entry.value, headers };
}
