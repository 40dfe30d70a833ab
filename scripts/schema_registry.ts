/**
 * A schema registry that speaks the Confluent Schema Registry REST API (Avro
 * schemas), stored in a compacted Kafka topic: the pipeline's embedded
 * default where Confluent's own server is not at hand. Run one instance per
 * topic: it is the topic's single writer.
 *
 * ```sh
 * deno run --allow-net --allow-env=KAFKA_BROKERS,KAFKA_CLIENT_ID,KAFKA_SSL,KAFKA_SSL_CA_FILE,KAFKA_SSL_CERT_FILE,KAFKA_SSL_KEY_FILE,KAFKA_SASL_MECHANISM,KAFKA_SASL_USERNAME,KAFKA_SASL_PASSWORD,SCHEMA_REGISTRY_PORT,SCHEMA_REGISTRY_HOST,SCHEMA_REGISTRY_TOPIC,SCHEMA_REGISTRY_AUTH_USERS,SCHEMA_REGISTRY_TLS_CERT_FILE,SCHEMA_REGISTRY_TLS_KEY_FILE,LOG_LEVEL,NODE_ENV,KAFKAJS_LOG_LEVEL,KAFKAJS_DEBUG_PROTOCOL_BUFFERS,KAFKAJS_DEBUG_EXTENDED_PROTOCOL_BUFFERS \
 *   scripts/schema_registry.ts --help
 * ```
 *
 * `--allow-net` is unscoped because brokers hand out their own addresses;
 * the last four variables are read by kafkajs itself; add `--allow-read` for
 * the TLS files of `--ssl-*-file` and `--tls-*-file`. With `--auth-users`
 * every request needs basic auth; with `--tls-cert-file`/`--tls-key-file`
 * it serves https.
 *
 * The API: `POST /subjects/{subject}/versions` registers, `GET /schemas/ids/{id}`
 * resolves an id, `GET|PUT /config[/{subject}]` sets compatibility,
 * `POST /compatibility/subjects/{subject}/versions/latest` tests a schema,
 * `DELETE /subjects/{subject}[?permanent=true]` deletes; see
 * shared/registry/http.ts for every route.
 *
 * @module
 */
import { createKafka, kafkaLogger } from "../shared/kafka.ts";
import { securityFailureLine } from "../shared/security/kafka_errors.ts";
import { startKafkaScript, untilAborted } from "../shared/platform/kafka_script.ts";
import { shutdownSignal } from "../shared/shutdown.ts";
import { startRegistry } from "../shared/registry/server.ts";
import { registrySecurityFrom } from "../shared/registry/security.ts";
import { registryConfig } from "../shared/registry/config.ts";

async function main(): Promise<number> {
  const { cfg, log, connection } = startKafkaScript(registryConfig, { name: "schema-registry" });
  const security = registryConfig.orExit(() => registrySecurityFrom(cfg));
  const kafka = createKafka(connection, kafkaLogger(log));
  const shutdown = shutdownSignal(log);
  try {
    const starting = startRegistry({
      kafka,
      topic: cfg.topic,
      hostname: cfg.host,
      port: cfg.port,
      ...security,
      log,
    });
    starting.catch(() => {}); // a failure after a signal won the race is moot
    let registry;
    try {
      registry = await Promise.race([
        starting,
        untilAborted(shutdown.signal).then(() => undefined),
      ]);
    } catch (err) {
      // One line that says what failed, not a stack trace.
      const security = await securityFailureLine((err as Error).cause ?? err, connection);
      if (security) log.error(security);
      else {
        log.error("schema registry failed to start", {
          error: (err as Error).message,
          brokers: connection.brokers,
        });
      }
      return 1;
    }
    if (!registry) return 0; // stopped while starting; exiting drops the half-open clients
    await untilAborted(shutdown.signal);
    await registry.close();
    return 0;
  } finally {
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
