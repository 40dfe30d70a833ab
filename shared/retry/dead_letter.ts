/**
 * The dead-letter envelope: a failed record keeps its original key and
 * bytes, and says in headers where it came from, who gave up on it, when,
 * and why. A DLQ record is therefore replayable as it is, and readable by
 * `kafka-console-consumer --property print.headers=true`.
 *
 * @example
 * ```ts
 * import { deadLetter, DLQ_HEADERS } from "./dead_letter.ts";
 * const msg = deadLetter(
 *   { topic: "orders", partition: 0, offset: "42", key: "ord-1", value: new TextEncoder().encode("{") },
 *   { errorClass: "unparseable", reason: "not JSON", stage: "inventory_orders_producer" },
 *   new Date("2026-01-01T00:00:00Z"),
 * );
 * msg.headers[DLQ_HEADERS.reason]; // "not JSON"
 * ```
 * @module
 */

/** Header names of the envelope. */
export const DLQ_HEADERS = {
  reason: "dlq.reason",
  errorClass: "dlq.error.class",
  stage: "dlq.stage",
  failedAt: "dlq.failed.at",
  originalTopic: "dlq.original.topic",
  originalPartition: "dlq.original.partition",
  originalOffset: "dlq.original.offset",
  /** The record's key as text (also the DLQ record's own key). */
  originalKey: "dlq.original.key",
  /** Attempts made in all, the first included. */
  attempts: "dlq.attempts",
  firstFailedAt: "dlq.first.failed.at",
  /**
   * Where a replay should send the record back to: the original topic, or
   * for a stage that shares its input with others (the routing producers
   * share `orders`), the stage's own first retry topic.
   */
  replayTopic: "dlq.replay.topic",
} as const;

/**
 * Why a record failed: `unparseable` (bytes that are no order at all),
 * `validation` (an order with bad fields), `encoding` (an order the schema
 * cannot carry), all permanent; or the class of the error that outlived
 * every retry (database, registry, broker, injected, ...).
 */
export type DeadLetterClass = "unparseable" | "validation" | "encoding" | string;

/** The class of an order with bad fields: replayed unchanged, it fails again. */
export const VALIDATION_CLASS: DeadLetterClass = "validation";

/** The record that failed, as it was consumed. */
export interface FailedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Uint8Array | string | null;
  value: Uint8Array | null;
}

/** What went wrong, and which script gave up. */
export interface Failure {
  errorClass: DeadLetterClass;
  reason: string;
  stage: string;
}

/** A message ready to send to the DLQ topic. */
export interface DeadLetterMessage {
  key: Uint8Array | string | null;
  value: Uint8Array | null;
  headers: Record<string, string>;
}

/** Longest reason kept in a header; the full list can be long for a bad batch. */
export const MAX_REASON_LENGTH = 4000;

/** The retry history of a record that went through retry topics first. */
export interface FailureHistory {
  /** Attempts made in all, the first included. */
  attempts: number;
  firstFailedAt: Date;
  replayTopic?: string;
}

/** Builds the DLQ message for `record`. Pure. */
export function deadLetter(
  record: FailedRecord,
  failure: Failure,
  at: Date,
  history?: FailureHistory,
): DeadLetterMessage {
  const reason = failure.reason.length > MAX_REASON_LENGTH
    ? failure.reason.slice(0, MAX_REASON_LENGTH - 1) + "…"
    : failure.reason;
  return {
    key: record.key,
    value: record.value,
    headers: {
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.errorClass]: failure.errorClass,
      [DLQ_HEADERS.stage]: failure.stage,
      [DLQ_HEADERS.failedAt]: at.toISOString(),
      [DLQ_HEADERS.originalTopic]: record.topic,
      [DLQ_HEADERS.originalPartition]: String(record.partition),
      [DLQ_HEADERS.originalOffset]: record.offset,
      ...(record.key === null ? {} : { [DLQ_HEADERS.originalKey]: bytesText(record.key)! }),
      [DLQ_HEADERS.attempts]: String(history?.attempts ?? 1),
      [DLQ_HEADERS.firstFailedAt]: (history?.firstFailedAt ?? at).toISOString(),
      [DLQ_HEADERS.replayTopic]: history?.replayTopic ?? record.topic,
    },
  };
}

/**
 * A header value or key as text: consumers give bytes, producers take
 * strings; `undefined` for a missing value. Pure.
 */
export function bytesText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : new TextDecoder().decode(v as Uint8Array);
}

/** Reads the envelope back from consumed headers (bytes or text). */
export function readDeadLetterHeaders(
  headers: Record<string, unknown> | undefined,
): Partial<Record<keyof typeof DLQ_HEADERS, string>> {
  const out: Partial<Record<keyof typeof DLQ_HEADERS, string>> = {};
  for (const [field, name] of Object.entries(DLQ_HEADERS)) {
    const v = bytesText(headers?.[name]);
    if (v !== undefined) out[field as keyof typeof DLQ_HEADERS] = v;
  }
  return out;
}
