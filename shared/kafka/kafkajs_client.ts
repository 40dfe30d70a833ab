/**
 * The one place that builds kafkajs clients, so that every script gets the
 * same brokers, client id, TLS/SASL settings and log routing.
 *
 * @example
 * ```ts
 * import { createKafka } from "./kafkajs_client.ts";
 * import { createLogger } from "../platform/log.ts";
 * const kafka = createKafka({ brokers: ["127.0.0.1:9092"], clientId: "demo" }, createLogger({ name: "demo" }));
 * const admin = kafka.admin();
 * ```
 * @module
 */
import { Kafka, logLevel as KafkaLogLevel, type SASLOptions } from "kafkajs";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "../platform/log.ts";
import type { KafkaConnection } from "./connection.ts";
import { installKafkajsPatches } from "./patches/install.ts";
import { isFatalKafkaError } from "./errors.ts";

/** kafkajs log levels mapped onto ours; kafkajs' own chatter is info. */
const LEVELS: Record<number, "debug" | "info" | "warn" | "error"> = {
  [KafkaLogLevel.DEBUG]: "debug",
  [KafkaLogLevel.INFO]: "debug",
  [KafkaLogLevel.WARN]: "warn",
  [KafkaLogLevel.ERROR]: "error",
};

/**
 * Builds a kafkajs client whose log lines go through `log`.
 *
 * kafkajs logs transient coordinator errors (which it retries) at ERROR;
 * they are kept, but at warn, since they are not failures of ours.
 *
 * It first installs this product's three kafkajs patches (shared/kafka/patches/:
 * a read_committed filter that lets no aborted record through, no idle
 * request-queue timer, a faster encoder), which refuse any kafkajs version
 * but the one they were written for.
 */
export function createKafka(conn: KafkaConnection, log: Logger): Kafka {
  installKafkajsPatches();
  const kafkaLog = log.child({ component: "kafkajs" });
  const ssl: boolean | ConnectionOptions | undefined = typeof conn.ssl === "object"
    ? { ...conn.ssl }
    : conn.ssl;
  return new Kafka({
    clientId: conn.clientId,
    brokers: conn.brokers,
    ssl,
    sasl: conn.sasl as SASLOptions | undefined,
    connectionTimeout: conn.connectionTimeoutMs ?? 3000,
    requestTimeout: conn.requestTimeoutMs ?? 30000,
    retry: conn.retries === undefined ? undefined : { retries: conn.retries },
    logLevel: log.level === "debug" ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, ...fields } = entry as Record<string, unknown>;
      const ours = LEVELS[level] ?? "info";
      const retried = typeof fields.retryCount === "number" || namespace === "Connection";
      // Routine right after a commit, and retried.
      const concurrent = /concurrent operation on the same transaction/.test(
        `${message} ${fields.error ?? ""}`,
      );
      // A refused login, an untrusted certificate or a missing ACL: the script
      // stops on it with one line of its own (security/kafka_errors.ts).
      const text = `${message} ${fields.error ?? ""}`;
      const fatal = isFatalKafkaError({ message: text }) || /Topic creation errors/.test(text);
      kafkaLog[concurrent || fatal ? "debug" : ours === "error" && retried ? "warn" : ours](
        String(message),
        {
          ns: namespace,
          ...fields,
        },
      );
    },
  });
}

/**
 * The logger to hand kafkajs: kafkajs reports every retried connection
 * attempt, which says nothing a script's own lines do not, so below debug
 * level only its errors are kept.
 */
export function kafkaLogger(log: Logger): Logger {
  return log.level === "debug" ? log : log.withLevel("error");
}
