/**
 * The `--rate` of a replay, in records per second (0: unlimited). Record
 * `k` (counting from 0) is not sent before `start + k / rate` seconds, so
 * by any time `t` at most `rate * t + 1` records have gone out. A
 * transaction carries about a tenth of a second's worth of records (at
 * least one), so the pace is smooth rather than a burst each second.
 *
 * @example
 * ```ts
 * import { pacingDelayMs, replayTransactionSize } from "./rate_limit.ts";
 * replayTransactionSize(50, 100); // 5 records per transaction at 50/s
 * // Records 10..14 at 50/s from t=0 may go at 280 ms:
 * pacingDelayMs({ rate: 50, startMs: 0, sent: 10, batch: 5, nowMs: 100 }); // 180
 * ```
 * @module
 */

/** Records per transaction: `transactionSize`, or at a rate about 100 ms worth (at least 1). */
export function replayTransactionSize(rate: number, transactionSize: number): number {
  if (rate <= 0) return transactionSize;
  return Math.max(1, Math.min(transactionSize, Math.floor(rate / 10)));
}

/**
 * How long to wait before sending records `sent .. sent+batch-1`, so that
 * the last of them is not early. 0 when unlimited or already due. Pure.
 */
export function pacingDelayMs(p: {
  rate: number;
  startMs: number;
  sent: number;
  batch: number;
  nowMs: number;
}): number {
  if (p.rate <= 0 || p.batch <= 0) return 0;
  const dueMs = p.startMs + ((p.sent + p.batch - 1) / p.rate) * 1000;
  return Math.max(0, Math.ceil(dueMs - p.nowMs));
}
