import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import {
  backoffFrom,
  DEFAULT_BACKOFF,
  delayMs,
  dlqTopicName,
  retryLevel,
  retryTopicNames,
} from "./backoff.ts";

Deno.test("the default waits 2 s, 4 s, 8 s over three attempts", () => {
  assert.equal(DEFAULT_BACKOFF.attempts, 3);
  assert.deepEqual([1, 2, 3].map((a) => delayMs(DEFAULT_BACKOFF, a)), [2000, 4000, 8000]);
});

Deno.test("waits stop growing at the maximum", () => {
  const policy = { ...DEFAULT_BACKOFF, initialDelayMs: 1000, multiplier: 10, maxDelayMs: 30_000 };
  assert.deepEqual([1, 2, 3].map((a) => delayMs(policy, a)), [1000, 10_000, 30_000]);
});

Deno.test("jitter stays within its fraction either way", () => {
  const policy = { ...DEFAULT_BACKOFF, jitter: 0.25 };
  assert.equal(delayMs(policy, 1, () => 0), 1500);
  assert.equal(delayMs(policy, 1, () => 1), 2500);
  assert.equal(delayMs(policy, 1, () => 0.5), 2000);
});

Deno.test("retry topics are numbered per attempt, the DLQ suffixed", () => {
  assert.deepEqual(retryTopicNames("orders-inventory", 2), [
    "orders-inventory-retry-1",
    "orders-inventory-retry-2",
  ]);
  assert.equal(dlqTopicName("inventory_orders"), "inventory_orders-dlq");
  assert.equal(retryLevel("inventory_orders", "inventory_orders-retry-3"), 3);
  assert.equal(retryLevel("inventory_orders", "inventory_orders"), 0);
  assert.equal(retryLevel("inventory_orders", "inventory_orders-retry-x"), 0);
});

Deno.test("flags become a policy; a maximum below the first wait is refused", () => {
  const cfg = {
    retryAttempts: 2,
    retryInitialMs: 100,
    retryMultiplier: 3,
    retryMaxMs: 1000,
    retryJitter: 0.1,
  };
  assert.deepEqual(backoffFrom(cfg), {
    attempts: 2,
    initialDelayMs: 100,
    multiplier: 3,
    maxDelayMs: 1000,
    jitter: 0.1,
  });
  assert.throws(() => backoffFrom({ ...cfg, retryMaxMs: 50 }), ConfigError);
});
