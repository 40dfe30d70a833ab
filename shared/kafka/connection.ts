/**
 * How a script reaches Kafka, whichever client it builds: the brokers, the
 * client id and TLS/SASL as one {@linkcode KafkaConnection}, the flags every
 * Kafka script shares ({@linkcode kafkaFlags}), and the parsing of those flags
 * into a connection, each mistake named by its flag.
 *
 * @example
 * ```ts
 * import { kafkaConnectionFrom } from "./connection.ts";
 * const connection = kafkaConnectionFrom({ brokers: ["127.0.0.1:9092"] }, { clientId: "demo" });
 * ```
 * @module
 */
import { ConfigError, type ConfigOf, flagName, type FlagSpecs } from "../platform/config.ts";

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
   * How often the client retries a failed request (default 8, backing off
   * over about 20 s: shared/kafka/client.ts); start-up checks pass fewer to
   * fail fast.
   */
  retries?: number;
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
