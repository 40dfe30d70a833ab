/**
 * What integration tests share: the broker this test run uses (started once
 * per run by `deno task test`, see scripts/dev/run_tests.ts), unique names so that
 * tests never see each other's topics and groups, and condition waits with
 * deadlines instead of fixed sleeps.
 * @module
 */
import type { TestKafka } from "./test_kafka.ts";
import { createAdmin, type KafkaAdmin } from "../shared/kafka/client.ts";
import type { KafkaConnection } from "../shared/kafka/connection.ts";
import { createLogger, type Logger } from "../shared/platform/log.ts";

/** A logger for tests: quiet unless TEST_LOG_LEVEL says otherwise. */
export function testLogger(name: string): Logger {
  const level = (Deno.env.get("TEST_LOG_LEVEL") ?? "error") as "debug" | "info" | "warn" | "error";
  return createLogger({ name, level });
}

/**
 * The bootstrap servers of this run's broker. `deno task test` exports
 * KAFKA_BROKERS after starting (or finding) one; a plain `deno test` without
 * it fails here with a sentence saying what to do.
 */
export function testBrokers(): string[] {
  const raw = Deno.env.get("KAFKA_BROKERS");
  if (!raw) {
    throw new Error(
      "KAFKA_BROKERS is not set: run the suite with `deno task test` (it starts a broker), " +
        "or point KAFKA_BROKERS at a running cluster",
    );
  }
  return raw.split(",").map((s) => s.trim()).filter(Boolean);
}

/** The tests' own Kafka I/O (tests/test_kafka.ts) on this run's broker. */
export function testKafka(clientId = "test"): TestKafka {
  return { connection: testConnection(clientId) };
}

/** How a test's own clients reach this run's broker. */
export function testConnection(clientId = "test"): KafkaConnection {
  return { brokers: testBrokers(), clientId };
}

/** An admin client on this run's broker; close it after. */
export function testAdmin(clientId = "test"): KafkaAdmin {
  return createAdmin(testConnection(clientId));
}

/** A name no other test (or earlier run) uses: `prefix-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * What `promise` settled to within `ms`, or undefined when it had not (it
 * runs on, unobserved); a rejection within `ms` rejects.
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) =>
    timer = setTimeout(() => resolve(undefined), ms)
  );
  try {
    return await Promise.race([promise.then((value) => ({ value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `check` returns a truthy value, or throws after `timeoutMs`,
 * also when one call of `check` never returns (a request nobody answers).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const settled = await within(Promise.resolve().then(check), deadline - Date.now());
      if (!settled) last = "its last check had not returned";
      else if (settled.value) return settled.value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}` + (last ? `: ${last}` : ""),
  );
}

/**
 * Whether process `pid` still runs (Linux /proc). A zombie (killed, not yet
 * reaped) counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
}

/** Test options for integration tests: clients and child processes outlive a test step. */
export const integration = { sanitizeOps: false, sanitizeResources: false } as const;
