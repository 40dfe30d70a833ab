/**
 * Failure injection, for the demo and the tests, off by default: poison
 * orders fail every attempt, flaky orders fail their first N attempts, and
 * a rate makes a share of attempts fail. Injected failures are transient
 * (they look like a database hiccup), so they travel the retry topics.
 *
 * The rate is a pseudo-random function of the order and the attempt, not a
 * dice roll: a record consumed again after a crash meets the same fate as
 * the first time. (A roll could fail, on the second reading, a record the
 * store had applied on the first, and dead-letter an applied record.)
 *
 * @example
 * ```ts
 * import { createFailureInjector } from "./failure_injection.ts";
 * const inject = createFailureInjector({ poisonOrders: ["o-1"], flakyOrders: ["o-2:2"], failureRate: 0 });
 * inject.failure("o-2", 1); // a TransientFailure: attempts 1 and 2 fail
 * inject.failure("o-2", 3); // undefined: the third attempt goes through
 * ```
 * @module
 */
import { ConfigError, type ConfigOf, type FlagSpecs } from "../platform/config.ts";
import { TransientFailure } from "./classify.ts";

export interface FailureInjection {
  /** Order ids that fail every attempt. */
  poisonOrders: readonly string[];
  /** `orderId:N` entries: the order fails its first N attempts. */
  flakyOrders: readonly string[];
  /** 0..1: the chance that any attempt fails. */
  failureRate: number;
}

export interface FailureInjector {
  /** Whether anything is injected at all. */
  readonly active: boolean;
  /** What it was built from, for the start-up warning. */
  readonly settings: FailureInjection;
  /** The failure to throw for this attempt (1 = the first try) of `orderId`, if any. */
  failure(orderId: string, attempt: number): TransientFailure | undefined;
}

/** A number in [0, 1) fixed by `orderId` and `attempt` (FNV-1a). Pure. */
export function attemptChance(orderId: string, attempt: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${orderId}#${attempt}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche, so that neighbouring ids spread over the range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 2 ** 32;
}

/** Builds an injector; refuses a malformed flaky entry. */
export function createFailureInjector(
  options: FailureInjection,
  chance: (orderId: string, attempt: number) => number = attemptChance,
): FailureInjector {
  const poison = new Set(options.poisonOrders);
  const flaky = new Map<string, number>();
  for (const entry of options.flakyOrders) {
    const at = entry.lastIndexOf(":");
    const times = Number(entry.slice(at + 1));
    if (at <= 0 || !Number.isInteger(times) || times < 1) {
      throw new ConfigError("injectFlakyOrders", `"${entry}" is not ORDER_ID:N (N ≥ 1)`);
    }
    flaky.set(entry.slice(0, at), times);
  }
  const active = poison.size > 0 || flaky.size > 0 || options.failureRate > 0;
  return {
    active,
    settings: options,
    failure(orderId, attempt) {
      if (poison.has(orderId)) {
        return new TransientFailure("injected", `injected failure: ${orderId} is a poison order`);
      }
      const times = flaky.get(orderId);
      if (times !== undefined && attempt <= times) {
        return new TransientFailure(
          "injected",
          `injected failure: ${orderId} fails its first ${times} attempts (this was ${attempt})`,
        );
      }
      if (options.failureRate > 0 && chance(orderId, attempt) < options.failureRate) {
        return new TransientFailure("injected", `injected failure (rate ${options.failureRate})`);
      }
      return undefined;
    },
  };
}

/** The injection flags every retrying script shares. */
export const failureInjectionFlags = {
  injectPoisonOrders: {
    type: "list",
    env: "INJECT_POISON_ORDERS",
    default: [],
    description: "order ids that fail every attempt (testing and demos)",
  },
  injectFlakyOrders: {
    type: "list",
    env: "INJECT_FLAKY_ORDERS",
    default: [],
    description: "ORDER_ID:N entries: the order fails its first N attempts (testing and demos)",
  },
  injectFailureRate: {
    type: "number",
    min: 0,
    max: 1,
    default: 0,
    env: "INJECT_FAILURE_RATE",
    description: "0..1: the chance that any attempt fails, transiently (testing and demos)",
  },
} as const satisfies FlagSpecs;

/** The injector the flags say. */
export function failureInjectorFrom(cfg: ConfigOf<typeof failureInjectionFlags>): FailureInjector {
  return createFailureInjector({
    poisonOrders: cfg.injectPoisonOrders,
    flakyOrders: cfg.injectFlakyOrders,
    failureRate: cfg.injectFailureRate,
  });
}
