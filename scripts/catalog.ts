/**
 * Every runnable script with the narrowest permission flags it works with.
 * `deno task compile` builds binaries from this table, and the README's
 * script table is checked against it, so the flags are written once.
 * @module
 */

export interface ScriptEntry {
  /** Binary name under build/. */
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** What it does, in one line. */
  summary: string;
  /** Deno permission flags, as narrow as the script allows. */
  permissions: string[];
}

/** Environment variables every Kafka script may read (shared/kafka.ts). */
export const KAFKA_ENV = [
  "KAFKA_BROKERS",
  "KAFKA_CLIENT_ID",
  "KAFKA_SSL",
  "KAFKA_SSL_CA_FILE",
  "KAFKA_SSL_CERT_FILE",
  "KAFKA_SSL_KEY_FILE",
  "KAFKA_SASL_MECHANISM",
  "KAFKA_SASL_USERNAME",
  "KAFKA_SASL_PASSWORD",
  "KAFKAJS_NO_PARTITIONER_WARNING",
  // Read by kafkajs itself; without them it fails with a permission error.
  "NODE_ENV",
  "KAFKAJS_LOG_LEVEL",
  "KAFKAJS_DEBUG_PROTOCOL_BUFFERS",
  "KAFKAJS_DEBUG_EXTENDED_PROTOCOL_BUFFERS",
];

export const SCRIPTS: ScriptEntry[] = [
  {
    name: "schema_registry",
    entry: "scripts/schema_registry.ts",
    summary: "Confluent-compatible schema registry, stored in a compacted Kafka topic",
    permissions: [
      "--allow-net",
      `--allow-env=${
        [
          ...KAFKA_ENV,
          "SCHEMA_REGISTRY_PORT",
          "SCHEMA_REGISTRY_HOST",
          "SCHEMA_REGISTRY_TOPIC",
          "LOG_LEVEL",
        ]
          .join(",")
      }`,
      "--allow-read",
    ],
  },
  {
    name: "local_kafka",
    entry: "scripts/local_kafka.ts",
    summary: "fetch and run a local Apache Kafka broker, or one of its tools",
    permissions: [
      "--allow-run=java,mvn,sh",
      "--allow-read",
      "--allow-write",
      "--allow-net=127.0.0.1",
      "--allow-env",
    ],
  },
  {
    name: "demo",
    entry: "scripts/demo.ts",
    summary: "bring the pipeline up on this machine",
    permissions: [
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-run=java,mvn,sh",
    ],
  },
];
