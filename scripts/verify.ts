/**
 * `deno task verify`: an end-to-end exactly-once audit of a running
 * pipeline. Sends `--count` tagged orders of each kind (valid inventory,
 * valid delivery, invalid, other types) to the raw orders topic, then reads
 * every output back until each is complete or `--timeout-seconds` pass:
 * the target topics, the DLQ and `order_status` with Apache Kafka's Java
 * consumer (read_committed, scripts/verify/CommittedReader.java), Avro
 * decoded with writer schemas fetched from the registry, the store with
 * plain SQL. One line per kind and a totals line; exit 0 only when nothing
 * is lost, duplicated or wrong and every SKU's stock adds up.
 *
 *   deno task verify --brokers 127.0.0.1:9092 --count 50
 *   deno task verify --audit-only --run-id <id> --count 50   # audit an earlier run again
 * @module
 */
import { javaClientProperties } from "../shared/dev/broker/cluster_security.ts";
import { ConfigError } from "../shared/platform/config.ts";
import { type KafkaConnection, kafkaConnectionFrom } from "../shared/kafka/connection.ts";
import { createLogger } from "../shared/platform/log.ts";
import { defaultSqlitePath } from "../shared/store/open_store.ts";
import { provisionKafka } from "../shared/dev/broker/local_kafka.ts";
import { formatReport } from "../shared/verify/audit.ts";
import { createCommittedReader } from "../shared/verify/committed_reader.ts";
import { openStoreReader } from "../shared/verify/store_reader.ts";
import { checkRunId, newRunId, taggedOrders } from "../shared/verify/tagged_orders.ts";
import { auditUntilComplete, sendTaggedOrders } from "../shared/verify/verify_run.ts";
import { createWireDecoder } from "../shared/verify/wire_avro.ts";
import {
  type RegistryConnection,
  registryConnectionFrom,
} from "../shared/kafka/registry_connection.ts";
import { chaosRound } from "../shared/verify/chaos_run.ts";
import { verifyConfig } from "../shared/verify/config.ts";

/** A fetch that sends the registry's credentials and trusts its CA (plain fetch, not a registry client). */
function registryFetch(registry: RegistryConnection): typeof fetch {
  const client = registry.ca ? Deno.createHttpClient({ caCerts: [registry.ca] }) : undefined;
  const authorization = registry.auth
    ? `Basic ${btoa(`${registry.auth.username}:${registry.auth.password}`)}`
    : undefined;
  return (input, init) => {
    const headers = new Headers(init?.headers);
    if (authorization) headers.set("authorization", authorization);
    return fetch(input, { ...init, headers, ...(client ? { client } : {}) } as RequestInit);
  };
}

/** The registry answers, so decoding cannot fail for want of it halfway through. */
async function checkRegistry(url: string, fetchFn: typeof fetch): Promise<void> {
  try {
    const res = await fetchFn(`${url.replace(/\/+$/, "")}/subjects`);
    await res.body?.cancel();
    if (!res.ok) throw new Error(`it answered ${res.status} to GET /subjects`);
  } catch (err) {
    throw new Error(
      `the schema registry ${url} cannot be used (--registry-url, SCHEMA_REGISTRY_URL, ` +
        `SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO, SCHEMA_REGISTRY_SSL_CA_FILE): ${
          (err as Error).message
        }`,
    );
  }
}

async function main(): Promise<number> {
  const cfg = verifyConfig.load();
  const log = createLogger({ name: "verify", level: cfg.logLevel });
  const conn = verifyConfig.orExit(() => kafkaConnectionFrom(cfg, { clientId: "verify" }));
  const registry = verifyConfig.orExit(() => registryConnectionFrom(cfg));
  const fetchRegistry = registryFetch(registry);
  const runId = verifyConfig.orExit(() => {
    if (cfg.auditOnly && !cfg.runId) {
      throw new ConfigError(
        "runId",
        "--audit-only needs --run-id (VERIFY_RUN_ID): the run to audit",
      );
    }
    try {
      return cfg.runId ? checkRunId(cfg.runId) : newRunId();
    } catch (err) {
      throw new ConfigError("runId", `--run-id: ${(err as Error).message}`);
    }
  });
  if (cfg.clientProperties) {
    const file = cfg.clientProperties;
    verifyConfig.orExit(() => {
      try {
        Deno.statSync(file);
      } catch (err) {
        throw new ConfigError(
          "clientProperties",
          `--client-properties: cannot read ${file}: ${(err as Error).message}`,
        );
      }
    });
  }
  // Without a properties file, the Java reader connects with the same TLS/SASL settings as the rest.
  const properties = !cfg.clientProperties && (conn.ssl || conn.sasl)
    ? verifyConfig.orExit(() => javaPropertiesFor(conn, cfg.sslCaFile))
    : undefined;
  const run = taggedOrders(runId, cfg.count);
  const topics = {
    orders: cfg.ordersTopic,
    inventoryOrders: cfg.inventoryTopic,
    deliveryOrders: cfg.deliveryTopic,
    dlq: cfg.dlqTopic,
    status: cfg.statusTopic,
  };

  const classpath = cfg.kafkaClasspath ?? (await provisionKafka({ log }).catch((err) => {
    throw new Error(
      "the audit's Java reader needs the Kafka jars: set --kafka-classpath (KAFKA_TOOLS_CLASSPATH) " +
        "to a Kafka libs/* or fetch them once with `deno task kafka provision` " +
        `(${(err as Error).message})`,
    );
  })).classpath;
  const store = await openStoreReader(cfg.databaseUrl, defaultSqlitePath());
  try {
    // Whatever would fail the audit fails before anything is sent.
    await store.read(run.prefix, run.skuPrefix);
    await checkRegistry(registry.url, fetchRegistry);
    const started = Date.now();
    if (!cfg.auditOnly) {
      const send = (orders: typeof run.orders) =>
        sendTaggedOrders(conn, topics.orders, { ...run, orders }).catch((err) => {
          throw new Error(
            `cannot send the tagged orders to ${topics.orders} (--orders-topic, --brokers): ${
              (err as Error).message
            }`,
          );
        });
      if (cfg.chaos) {
        // The orders go out in waves through the chaos, so that kills meet orders in flight.
        const waves = 3;
        const size = Math.ceil(run.orders.length / waves);
        const summary = await chaosRound({
          manifestPath: cfg.chaosManifest,
          kills: cfg.chaosKills,
          nodeKills: cfg.chaosNodeKills,
          seconds: cfg.chaosSeconds,
          waves,
          sendWave: (i) => send(run.orders.slice(i * size, (i + 1) * size)),
          log,
        });
        console.log(summary);
      } else await send(run.orders);
      console.log(
        `verify run ${runId}: sent ${cfg.count} orders of each kind (ids ${run.prefix}…) to ${topics.orders}`,
      );
    } else console.log(`verify run ${runId}: auditing again (${cfg.count} of each kind)`);
    const report = await auditUntilComplete(run, {
      reader: createCommittedReader({
        classpath,
        brokers: conn.brokers,
        topics: [topics.inventoryOrders, topics.deliveryOrders, topics.dlq, topics.status],
        propertiesFile: cfg.clientProperties,
        properties,
        timeoutMs: cfg.timeoutSeconds * 1000,
      }),
      decoder: createWireDecoder(registry.url, fetchRegistry),
      store,
      topics,
    }, { deadline: started + cfg.timeoutSeconds * 1000, intervalMs: 1000, log });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      report.complete
        ? `audited in ${seconds} s: every output complete`
        : `audited for ${seconds} s: the deadline (--timeout-seconds ${cfg.timeoutSeconds}) passed with orders missing`,
    );
    for (const line of formatReport(report)) console.log(line);
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

/** Java client properties from our Kafka settings, for the reader's environment (never on disk). */
function javaPropertiesFor(conn: KafkaConnection, caFile: string | undefined): string {
  if (conn.ssl && typeof conn.ssl === "object" && (conn.ssl.cert || conn.ssl.key)) {
    throw new Error(
      "the Java reader takes mutual TLS only from --client-properties (a PEM keystore): " +
        "write one with ssl.keystore.type=PEM and ssl.keystore.location",
    );
  }
  return javaClientProperties({
    credentials: conn.sasl && { username: conn.sasl.username, password: conn.sasl.password },
    mechanism: conn.sasl?.mechanism,
    caFile,
  });
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    // Bad setup (no broker, no registry, no store, no Java) is one line, not a stack.
    console.error(`verify: ${(err as Error).message ?? err}`);
    Deno.exit(1);
  }
}
