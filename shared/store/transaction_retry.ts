/**
 * Retries a whole database transaction when it lost a lock conflict (SQLite
 * busy, PostgreSQL deadlock or serialization failure), with a short
 * exponential backoff and jitter, a bounded number of times, then gives up
 * with {@linkcode StoreBusyError}. Other errors pass straight through.
 *
 * @example
 * ```ts
 * import { retryDelayMs, withTransactionRetry } from "./transaction_retry.ts";
 * retryDelayMs(1, { baseDelayMs: 10, maxDelayMs: 500 }, () => 0.5); // 10
 * const value = await withTransactionRetry(async () => 42, {
 *   isConflict: () => false,
 *   attempts: 5,
 * });
 * ```
 * @module
 */
import type { Logger } from "../platform/log.ts";
import { StoreBusyError } from "./store.ts";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Delay before the second try; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The default: 8 tries, 10 ms doubling to at most 1 s (about 2.5 s of waiting in all). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 10, maxDelayMs: 1_000 };

/**
 * The wait after failed try number `attempt` (1-based): exponential, capped,
 * with ±50 % jitter so that two losers of one conflict do not collide again.
 */
export function retryDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp * (0.5 + random()));
}

/** Runs `tx` until it succeeds, fails with a non-conflict error, or runs out of tries. */
export async function withTransactionRetry<T>(
  tx: (attempt: number) => Promise<T>,
  options: Partial<RetryPolicy> & {
    isConflict: (err: unknown) => boolean;
    log?: Logger;
    /** Named in the retry log line. */
    what?: string;
  },
): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...options };
  for (let attempt = 1;; attempt++) {
    try {
      return await tx(attempt);
    } catch (err) {
      if (!options.isConflict(err)) throw err;
      if (attempt >= policy.attempts) throw new StoreBusyError(attempt, err);
      const delayMs = retryDelayMs(attempt, policy);
      // The first retries are routine under contention; persisting ones deserve attention.
      const fields = {
        what: options.what,
        attempt,
        delayMs,
        error: err instanceof Error ? err.message : String(err),
      };
      if (attempt >= 3) options.log?.warn("database conflict, retrying the transaction", fields);
      else options.log?.debug("database conflict, retrying the transaction", fields);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
