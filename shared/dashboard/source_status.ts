/**
 * Whether one of the dashboard's sources answers, and since when it does
 * not: each source keeps one {@linkcode SourceStatus} and marks every try.
 *
 * @example
 * ```ts
 * import { markFailed, markOk, sourceStatus } from "./source_status.ts";
 * const s = sourceStatus("http://127.0.0.1:8083/stats"); // not ok before its first answer
 * markFailed(s, new Error("HTTP 503"));
 * s.error; // "HTTP 503"
 * markOk(s);
 * s.ok && s.lastOkAt !== null && s.error === undefined; // true
 * ```
 * @module
 */

/** Whether a source answers, and since when it does not. */
export interface SourceStatus {
  ok: boolean;
  /** Where it is (an address, a list of brokers). */
  at: string;
  error?: string;
  /** The last good answer (ISO); null before the first. */
  lastOkAt: string | null;
}

/** A source at `at` that has not answered yet. */
export function sourceStatus(at: string): SourceStatus {
  return { ok: false, at, lastOkAt: null };
}

/** It answered, now. */
export function markOk(s: SourceStatus, now: Date = new Date()): void {
  s.ok = true;
  s.lastOkAt = now.toISOString();
  delete s.error;
}

/** It did not answer, for this reason; its last good answer stands. */
export function markFailed(s: SourceStatus, err: unknown): void {
  s.ok = false;
  s.error = err instanceof Error ? err.message : String(err);
}
