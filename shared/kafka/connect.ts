/**
 * How a one-shot script (the load generator, the NDJSON import, the DLQ
 * replayer) meets Kafka being unreachable at start: one line that says why,
 * and stop.
 * A login, TLS or permission failure gets its own line
 * (shared/kafka/errors.ts); anything else is "cannot reach Kafka"
 * with the brokers tried.
 *
 * @example
 * ```ts
 * import { createLogger } from "../platform/log.ts";
 * import { connectOrSay } from "./connect.ts";
 * const log = createLogger({ name: "x" });
 * const ok = await connectOrSay(() => Promise.resolve(), { brokers: ["127.0.0.1:9092"], clientId: "x" }, log);
 * ```
 * @module
 */
import type { KafkaConnection } from "./connection.ts";
import type { Logger } from "../platform/log.ts";
import { securityFailureLine } from "./errors.ts";

/** Runs `connect`; when it fails, logs why (one line) and resolves false. */
export async function connectOrSay(
  connect: () => Promise<void>,
  connection: KafkaConnection,
  log: Logger,
): Promise<boolean> {
  try {
    await connect();
    return true;
  } catch (err) {
    const security = await securityFailureLine(err, connection);
    if (security) log.error(security);
    else {
      log.error("cannot reach Kafka", {
        brokers: connection.brokers,
        error: (err as Error).message,
      });
    }
    return false;
  }
}
