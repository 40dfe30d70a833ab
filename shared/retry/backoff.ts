/**
 * Non-blocking retry policy: how long a failed record waits before its
 * next attempt, and the retry and dead-letter topics it travels through.
 *
 * A record that fails on `<base>` goes to `<base>-retry-1`, then
 * `-retry-2`, ... one topic per attempt, each with its own delay (so every
 * record on one retry topic waits the same time, and the first record of a
 * partition that is not due yet means none behind it is); after the last
 * attempt it goes to the dead-letter topic.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKOFF, delayMs, retryTopicNames } from "./backoff.ts";
 * delayMs(DEFAULT_BACKOFF, 1); // 2000
 * delayMs(DEFAULT_BACKOFF, 3); // 8000
 * retryTopicNames("inventory_orders", 3); // ["inventory_orders-retry-1", ..., "inventory_orders-retry-3"]
 * ```
 * @module
 */
import { ConfigError, type ConfigOf, type FlagSpecs } from "../platform/config.ts";

export interface BackoffPolicy {
  /** Retry attempts after the first failure (0 = straight to the DLQ). */
  attempts: number;
  /** Wait before the first retry, ms. */
  initialDelayMs: number;
  /** Each further retry waits this many times longer. */
  multiplier: number;
  /** No wait is longer than this, ms. */
  maxDelayMs: number;
  /** 0..1: each wait is drawn from ±jitter around its nominal value. */
  jitter: number;
}

/** 2 s, 4 s, 8 s, three attempts, no jitter: what the seeds ask for. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  attempts: 3,
  initialDelayMs: 2_000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0,
};

/** The wait before retry `attempt` (1-based). Pure but for `random`. */
export function delayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const nominal = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * policy.multiplier ** (attempt - 1),
  );
  if (policy.jitter <= 0) return Math.round(nominal);
  return Math.max(0, Math.round(nominal * (1 + policy.jitter * (2 * random() - 1))));
}

/** `<base>-retry-1` ... `<base>-retry-<attempts>`. */
export function retryTopicNames(base: string, attempts: number): string[] {
  return Array.from({ length: attempts }, (_, i) => `${base}-retry-${i + 1}`);
}

/**
 * The retry topics a stage with `policy` reads and creates: one per attempt,
 * and `-retry-1` even with no attempts, since a replayed dead letter may be
 * sent there.
 */
export function retryTopicsFor(base: string, policy: Pick<BackoffPolicy, "attempts">): string[] {
  return retryTopicNames(base, Math.max(1, policy.attempts));
}

/** The retry level of a topic name of `base`'s, or 0 for any other topic. */
export function retryLevel(base: string, topic: string): number {
  const prefix = `${base}-retry-`;
  if (!topic.startsWith(prefix)) return 0;
  const level = Number(topic.slice(prefix.length));
  return Number.isInteger(level) && level > 0 ? level : 0;
}

/** The dead-letter topic of `topic`: `<topic>-dlq`. */
export function dlqTopicName(topic: string): string {
  return `${topic}-dlq`;
}

/** The flags every retrying script shares; spread into its flags. */
export const backoffFlags = {
  retryAttempts: {
    type: "number",
    integer: true,
    min: 0,
    max: 10,
    default: DEFAULT_BACKOFF.attempts,
    env: "RETRY_ATTEMPTS",
    description: "retry attempts through the retry topics before the DLQ (0 = none)",
  },
  retryInitialMs: {
    type: "number",
    integer: true,
    min: 0,
    default: DEFAULT_BACKOFF.initialDelayMs,
    env: "RETRY_INITIAL_MS",
    description: "wait before the first retry, ms",
  },
  retryMultiplier: {
    type: "number",
    min: 1,
    default: DEFAULT_BACKOFF.multiplier,
    env: "RETRY_MULTIPLIER",
    description: "each retry waits this many times longer than the last",
  },
  retryMaxMs: {
    type: "number",
    integer: true,
    min: 0,
    default: DEFAULT_BACKOFF.maxDelayMs,
    env: "RETRY_MAX_MS",
    description: "longest wait before a retry, ms",
  },
  retryJitter: {
    type: "number",
    min: 0,
    max: 1,
    default: DEFAULT_BACKOFF.jitter,
    env: "RETRY_JITTER",
    description: "0..1: each wait varies by up to this fraction either way",
  },
} as const satisfies FlagSpecs;

/** The policy the flags say. */
export function backoffFrom(cfg: ConfigOf<typeof backoffFlags>): BackoffPolicy {
  if (cfg.retryMaxMs < cfg.retryInitialMs) {
    throw new ConfigError(
      "retryMaxMs",
      `--retry-max-ms (${cfg.retryMaxMs}) is shorter than --retry-initial-ms (${cfg.retryInitialMs})`,
    );
  }
  return {
    attempts: cfg.retryAttempts,
    initialDelayMs: cfg.retryInitialMs,
    multiplier: cfg.retryMultiplier,
    maxDelayMs: cfg.retryMaxMs,
    jitter: cfg.retryJitter,
  };
}
