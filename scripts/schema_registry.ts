/**
 * A schema registry that speaks the Confluent Schema Registry REST API (Avro
 * schemas), stored in a compacted Kafka topic: the pipeline's embedded
 * default where Confluent's own server is not at hand. Run one instance per
 * topic: it is the topic's single writer.
 *
 * ```sh
 * deno task registry --help
 * ```
 *
 * (Its permissions, flags and ports: docs/configuration.md, from its row
 * in scripts/services.ts.)
 *
 * `--allow-net` is unscoped because brokers hand out their own addresses;
 * `--allow-read` because the TLS files of `--ssl-*-file` and `--tls-*-file`
 * are wherever the user keeps them. With `--auth-users`
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
import { securityFailureLine } from "../shared/kafka/errors.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";
import { shutdownSignal, untilAborted } from "../shared/platform/shutdown.ts";
import { startRegistry } from "../shared/registry/server.ts";
import { registrySecurityFrom } from "../shared/registry/security.ts";
import { registryConfig } from "../shared/registry/config.ts";

async function main(): Promise<number> {
  const { cfg, log, connection } = startKafkaScript(registryConfig, { name: "schema-registry" });
  const security = registryConfig.orExit(() => registrySecurityFrom(cfg));
  const shutdown = shutdownSignal(log);
  try {
    const starting = startRegistry({
      connection,
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
