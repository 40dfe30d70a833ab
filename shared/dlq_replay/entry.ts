/**
 * One record of a dead-letter topic as the replayer sees it: where it sits
 * (partition/offset), its original key and value bytes, its headers as text
 * and the envelope read from them (shared/retry/dead_letter.ts). Also the record
 * references the replayer prints and accepts: `<partition>/<offset>` (the
 * ledger key, and what `show` takes) and `<dlqTopic>/<partition>/<offset>`
 * (the `replay.of` header).
 *
 * @example
 * ```ts
 * import { failedAtOf, parseRecordRef, toDlqEntry } from "./entry.ts";
 * const entry = toDlqEntry(0, {
 *   offset: "5",
 *   key: null,
 *   value: new TextEncoder().encode("{}"),
 *   timestamp: "0",
 *   headers: { "dlq.failed.at": "2026-01-01T00:00:00.000Z", "dlq.reason": "not JSON" },
 * });
 * entry.dlq.reason; // "not JSON"
 * failedAtOf(entry)?.toISOString(); // "2026-01-01T00:00:00.000Z"
 * parseRecordRef("0/5"); // { partition: 0, offset: "5" }
 * ```
 * @module
 */
import { readDeadLetterHeaders } from "../retry/dead_letter.ts";

/** The envelope fields of a DLQ record, as text (see DLQ_HEADERS). */
export type DeadLetterFields = ReturnType<typeof readDeadLetterHeaders>;

/** A DLQ record, decoded enough to group, select, show and replay it. */
export interface DlqEntry {
  partition: number;
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** Every header as text; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** The envelope read from the headers. */
  dlq: DeadLetterFields;
  /** The record's own timestamp (epoch ms as text): the fallback for a missing failed-at. */
  timestamp: string;
}

/** A consumed message: offsets and timestamps as text, bytes as bytes. */
export interface ConsumedMessage {
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  timestamp: string;
  headers?: Record<string, unknown>;
}

const decoder = new TextDecoder();

function headerText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return headerText(v[v.length - 1]);
  return typeof v === "string" ? v : decoder.decode(v as Uint8Array);
}

/** Turns a consumed DLQ message into a {@linkcode DlqEntry}. Pure. */
export function toDlqEntry(partition: number, message: ConsumedMessage): DlqEntry {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(message.headers ?? {})) {
    const text = headerText(v);
    if (text !== undefined) headers[name] = text;
  }
  return {
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
    dlq: readDeadLetterHeaders(headers),
    timestamp: message.timestamp,
  };
}

/**
 * When the record last failed: `dlq.failed.at`, else the DLQ record's own
 * timestamp (a dead letter written by something that set no envelope).
 */
export function failedAtOf(entry: DlqEntry): Date | undefined {
  const fromHeader = entry.dlq.failedAt ? new Date(entry.dlq.failedAt) : undefined;
  if (fromHeader && !Number.isNaN(fromHeader.getTime())) return fromHeader;
  const ts = Number(entry.timestamp);
  return Number.isFinite(ts) && ts > 0 ? new Date(ts) : undefined;
}

/** Where a replay of `entry` goes: `dlq.replay.topic`, else `dlq.original.topic`. */
export function replayTopicOf(entry: DlqEntry): string | undefined {
  return entry.dlq.replayTopic || entry.dlq.originalTopic || undefined;
}

/** The record's key as text, or undefined for a null key. */
export function keyText(entry: DlqEntry): string | undefined {
  return entry.key === null ? undefined : decoder.decode(entry.key);
}

/** `<partition>/<offset>`: the ledger key of a DLQ record, and what `show` takes. */
export function ledgerKey(partition: number, offset: string): string {
  return `${partition}/${offset}`;
}

/** `<dlqTopic>/<partition>/<offset>`: the `replay.of` header of a replayed record. */
export function replayOf(dlqTopic: string, partition: number, offset: string): string {
  return `${dlqTopic}/${partition}/${offset}`;
}

/** A parsed record reference; `topic` only when it was given. */
export interface RecordRef {
  topic?: string;
  partition: number;
  offset: string;
}

/**
 * Parses `<partition>/<offset>` or `<topic>/<partition>/<offset>` (as the
 * `replay.of` header writes it); undefined when it is neither.
 */
export function parseRecordRef(text: string): RecordRef | undefined {
  const m = /^(?:([^/\s]+)\/)?(\d{1,9})\/(\d{1,19})$/.exec(text.trim());
  if (!m) return undefined;
  const ref: RecordRef = { partition: Number(m[2]), offset: String(BigInt(m[3])) };
  if (m[1] !== undefined) ref.topic = m[1];
  return ref;
}
