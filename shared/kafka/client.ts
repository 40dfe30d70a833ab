/**
 * The one place that builds kafkajs clients, so that every script gets the
 * same brokers, client id, TLS/SASL settings and log routing.
 *
 * @example
 * ```ts
 * import { createKafka } from "./client.ts";
 * import { createLogger } from "../platform/log.ts";
 * const kafka = createKafka({ brokers: ["127.0.0.1:9092"], clientId: "demo" }, createLogger({ name: "demo" }));
 * const admin = kafka.admin();
 * ```
 * @module
 */
import { Kafka, logLevel as KafkaLogLevel, type SASLOptions } from "kafkajs";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "../platform/log.ts";
import { ConfigError, type ConfigOf, flagName, type FlagSpecs } from "../platform/config.ts";
import { installKafkajsPatches } from "./patches/install.ts";
import { isFatalKafkaError } from "./errors.ts";

export type SaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

/** Connection settings for a Kafka cluster. */
export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** TLS on; `true` uses the system trust store. */
  ssl?: boolean | {
    ca?: string;
    cert?: string;
    key?: string;
    rejectUnauthorized?: boolean;
  };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * How often kafkajs retries a failed request (default 5, about 11 s in
   * all); start-up checks pass a small number to fail fast.
   */
  retries?: number;
}

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
      // Routine right after a commit, and retried (here and by transactional_batches.ts).
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

/**
 * The connection flags every Kafka script shares; spread them into a
 * script's own flags with `...kafkaFlags`.
 */
export const kafkaFlags = {
  brokers: {
    type: "list",
    env: "KAFKA_BROKERS",
    description: "Kafka bootstrap servers, comma-separated host:port",
  },
  clientId: { type: "string", env: "KAFKA_CLIENT_ID", description: "Kafka client id" },
  ssl: { type: "boolean", env: "KAFKA_SSL", description: "connect with TLS" },
  sslCaFile: { type: "string", env: "KAFKA_SSL_CA_FILE", description: "PEM file of trusted CAs" },
  sslCertFile: {
    type: "string",
    env: "KAFKA_SSL_CERT_FILE",
    description: "PEM client certificate (mutual TLS)",
  },
  sslKeyFile: { type: "string", env: "KAFKA_SSL_KEY_FILE", description: "PEM client key" },
  saslMechanism: {
    type: "enum",
    choices: ["plain", "scram-sha-256", "scram-sha-512"],
    env: "KAFKA_SASL_MECHANISM",
    description: "SASL mechanism; needs username and password",
  },
  saslUsername: { type: "string", env: "KAFKA_SASL_USERNAME", description: "SASL username" },
  saslPassword: {
    type: "string",
    env: "KAFKA_SASL_PASSWORD",
    secret: true,
    description: "SASL password",
  },
} as const satisfies FlagSpecs;

type KafkaFlagValues = ConfigOf<typeof kafkaFlags>;

/**
 * Turns parsed kafka flags into a {@linkcode KafkaConnection}; reads the
 * TLS files it names. Throws a {@linkcode ConfigError} naming the flag.
 */
export function kafkaConnectionFrom(
  cfg: KafkaFlagValues,
  defaults: { clientId: string; brokers?: string[] },
  readFile: (path: string) => string = Deno.readTextFileSync,
): KafkaConnection {
  const brokers = cfg.brokers?.length ? cfg.brokers : defaults.brokers;
  if (!brokers?.length) {
    throw new ConfigError("brokers", "--brokers (or KAFKA_BROKERS) is required");
  }
  for (const b of brokers) {
    const m = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      throw new ConfigError("brokers", `--brokers: "${b}" is not host:port (port 1-65535)`);
    }
  }
  if (cfg.sslCertFile && !cfg.sslKeyFile || !cfg.sslCertFile && cfg.sslKeyFile) {
    throw new ConfigError(
      cfg.sslCertFile ? "sslKeyFile" : "sslCertFile",
      "--ssl-cert-file and --ssl-key-file go together (mutual TLS needs both)",
    );
  }
  const file = (flag: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFile(path);
    } catch (err) {
      throw new ConfigError(
        flag,
        `--${flagName(flag)}: cannot read ${path}: ${(err as Error).message}`,
      );
    }
  };
  const tlsFiles = cfg.sslCaFile || cfg.sslCertFile || cfg.sslKeyFile;
  const ssl = tlsFiles
    ? {
      ca: file("sslCaFile", cfg.sslCaFile),
      cert: file("sslCertFile", cfg.sslCertFile),
      key: file("sslKeyFile", cfg.sslKeyFile),
    }
    : cfg.ssl || undefined;
  let sasl: KafkaConnection["sasl"];
  if (!cfg.saslMechanism && (cfg.saslUsername || cfg.saslPassword)) {
    throw new ConfigError(
      "saslMechanism",
      "--sasl-username/--sasl-password need --sasl-mechanism (KAFKA_SASL_MECHANISM): plain, scram-sha-256 or scram-sha-512",
    );
  }
  if (cfg.saslMechanism) {
    if (!cfg.saslUsername || !cfg.saslPassword) {
      throw new ConfigError(
        cfg.saslUsername ? "saslPassword" : "saslUsername",
        "--sasl-mechanism needs --sasl-username and --sasl-password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)",
      );
    }
    sasl = { mechanism: cfg.saslMechanism, username: cfg.saslUsername, password: cfg.saslPassword };
  }
  return { brokers, clientId: cfg.clientId ?? defaults.clientId, ssl, sasl };
}
