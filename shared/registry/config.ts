/**
 * The flags of scripts/schema_registry.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { portFlag } from "../platform/port_flag.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { TOPICS } from "../kafka/topics.ts";
import { registrySecurityFlags } from "./security.ts";

export const registryConfig = defineConfig({
  name: "schema_registry",
  summary: "Serves the Confluent Schema Registry API (Avro), stored in a compacted Kafka topic.",
  flags: {
    port: portFlag("SCHEMA_REGISTRY_PORT", 8081, "HTTP port to listen on (0: any free port)"),
    host: {
      type: "string",
      env: "SCHEMA_REGISTRY_HOST",
      default: "127.0.0.1",
      description: "address to listen on",
    },
    topic: {
      type: "string",
      env: "SCHEMA_REGISTRY_TOPIC",
      default: TOPICS.schemas.name,
      description: "compacted topic that stores schemas, versions and configs",
    },
    ...registrySecurityFlags,
    logLevel: logLevelFlag,
    ...kafkaFlags,
  },
});
