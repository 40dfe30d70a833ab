/**
 * When a crashed process is started again, by the local Kafka cluster
 * (`restartOnCrash`, for its nodes) and by the demo's supervisor (for the
 * scripts): after a short pause, unless it crashed too often within the last
 * minute; one that keeps dying at start is left down rather than retried
 * forever.
 *
 * @example
 * ```ts
 * import { restartAfterCrash } from "./restart_cap.ts";
 * const { crashes, restart } = restartAfterCrash([], Date.now());
 * console.log(crashes.length, restart); // 1 true
 * ```
 * @module
 */

/** How long a crashed node stays down before `restartOnCrash` brings it back. */
export const RESTART_DELAY_MS = 2_000;
/** More crashes than this within a minute, and the node is left down. */
export const MAX_RESTARTS_PER_MINUTE = 5;
/** The window the cap counts crashes in. */
const CRASH_WINDOW_MS = 60_000;

/**
 * A node's crash times after it crashed at `now` (those older than a minute
 * dropped), and whether it may be restarted. Pure.
 */
export function restartAfterCrash(
  crashes: readonly number[],
  now: number,
): { crashes: number[]; restart: boolean } {
  const recent = crashes.filter((t) => now - t < CRASH_WINDOW_MS);
  return { crashes: [...recent, now], restart: mayRestart(recent, now, MAX_RESTARTS_PER_MINUTE) };
}

/**
 * Whether a process that (re)started at the times in `previous` may be
 * restarted at `now`: fewer than `maxPerMinute` of them in the last minute. Pure.
 */
export function mayRestart(
  previous: readonly number[],
  now: number,
  maxPerMinute: number,
): boolean {
  return previous.filter((t) => now - t < CRASH_WINDOW_MS).length < maxPerMinute;
}
