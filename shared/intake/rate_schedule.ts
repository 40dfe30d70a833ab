/**
 * A token bucket for sending at a steady rate without a sleep per item:
 * tokens accrue at `ratePerSecond`, up to `burst`, and a sender takes as many
 * as are there (up to what it wants) each time it wakes. Waking late costs
 * nothing: the tokens waited for it, so the average rate holds. Pure but for
 * the clock, which tests pass.
 *
 * @example
 * ```ts
 * import { createTokenBucket } from "./rate_schedule.ts";
 * const bucket = createTokenBucket({ ratePerSecond: 100 });
 * const n = bucket.take(50); // how many may go now (0..50)
 * const waitMs = bucket.msUntil(1); // how long until the next one may go
 * ```
 * @module
 */

export interface TokenBucketOptions {
  /** Items per second; 0 means no limit. */
  ratePerSecond: number;
  /**
   * Most tokens saved up while the sender was busy; one second's worth by
   * default, so a stalled sender catches up within a second, not all at once.
   */
  burst?: number;
  /** Milliseconds, monotonic; `performance.now` by default. */
  now?: () => number;
}

export interface TokenBucket {
  /** Takes up to `max` whole tokens; returns how many it took (`max` when unlimited). */
  take(max: number): number;
  /** Milliseconds until `n` tokens are there (0 when they are, or when unlimited). */
  msUntil(n: number): number;
}

/** Creates a token bucket; it starts with one token, so the first item goes at once. */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { ratePerSecond: rate, now = () => performance.now() } = options;
  if (!(rate >= 0) || !Number.isFinite(rate)) {
    throw new RangeError(`ratePerSecond must be 0 or more, got ${rate}`);
  }
  if (rate === 0) return { take: (max) => Math.max(0, Math.floor(max)), msUntil: () => 0 };
  const burst = Math.max(1, options.burst ?? rate);
  let tokens = 1;
  let last = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
    last = t;
  };
  return {
    take(max) {
      refill();
      const n = Math.max(0, Math.min(Math.floor(tokens), Math.floor(max)));
      tokens -= n;
      return n;
    },
    msUntil(n) {
      refill();
      return tokens >= n ? 0 : Math.ceil(((n - tokens) * 1000) / rate);
    },
  };
}
