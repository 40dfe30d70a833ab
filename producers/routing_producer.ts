/**
 * The one program behind both routing producers; each entry file runs it
 * with its {@linkcode RouteSpec}. Read top to bottom: configuration, the
 * pieces from `shared/`, run until a signal, shut down.
 * @module
 */
import { createAvroCodec, RegistryError } from "../shared/avro_codec.ts";
import { defineConfig } from "../shared/config.ts";
import { createKafka, kafkaConnectionFrom, kafkaFlags, kafkaLogger } from "../shared/kafka.ts";
import { securityFailureLine } from "../shared/security/kafka_errors.ts";
import { registryConnectionFrom, registryFlags } from "../shared/registry/client_connection.ts";
import { createLogger, logLevelFlag } from "../shared/log.ts";
import { MetricsRegistry, observabilityFlags, serveMetrics } from "../shared/metrics.ts";
import { startLagMetrics } from "../shared/lag_metrics.ts";
import { shutdownSignal } from "../shared/shutdown.ts";
import { ensureTopics, renamed, TOPICS } from "../shared/topics.ts";
import type { RouteSpec } from "../shared/router/route.ts";
import { createRouter } from "../shared/router/router.ts";
import { backoffFlags, backoffFrom, retryTopicsFor } from "../shared/retry/backoff.ts";
import { failureInjectionFlags, failureInjectorFrom } from "../shared/retry/failure_injection.ts";

/** The flags of a routing producer; defaults depend on the route. */
export function routingProducerConfig(route: RouteSpec) {
  return defineConfig({
    name: route.script,
    summary: `routes ${route.type} orders from the raw topic to ${route.target.name}, ` +
      `Avro-encoded, keyed by ${route.keyDescription}, exactly once`,
    flags: {
      ...kafkaFlags,
      ...registryFlags,
      sourceTopic: {
        type: "string",
        env: "ROUTER_SOURCE_TOPIC",
        default: TOPICS.orders.name,
        description: "raw orders to read",
      },
      targetTopic: {
        type: "string",
        env: "ROUTER_TARGET_TOPIC",
        default: route.target.name,
        description: `where ${route.type} orders go`,
      },
      dlqTopic: {
        type: "string",
        env: "ROUTER_DLQ_TOPIC",
        default: TOPICS.ordersDlq.name,
        description: "where invalid orders go, and failed ones after their retries, with reasons",
      },
      retryTopicPrefix: {
        type: "string",
        env: "ROUTER_RETRY_TOPIC_PREFIX",
        description: "retry topics are <prefix>-retry-<n> [default: <source topic>-" +
          `${route.type}]`,
      },
      ...backoffFlags,
      ...failureInjectionFlags,
      groupId: {
        type: "string",
        env: "ROUTER_GROUP_ID",
        default: route.groupId,
        description: "consumer group",
      },
      transactionalIdPrefix: {
        type: "string",
        env: "ROUTER_TRANSACTIONAL_ID_PREFIX",
        description: "transactional id prefix, one id per input partition [default: the group id]",
      },
      transactionSize: {
        type: "number",
        integer: true,
        min: 1,
        max: 100_000,
        env: "ROUTER_TRANSACTION_SIZE",
        default: 1000,
        description: "most raw records per transaction",
      },
      lingerMs: {
        type: "number",
        integer: true,
        min: 0,
        max: 60_000,
        env: "ROUTER_LINGER_MS",
        default: 100,
        description: "how long a fetch may wait to fill a batch",
      },
      concurrency: {
        type: "number",
        integer: true,
        min: 1,
        max: 64,
        env: "ROUTER_CONCURRENCY",
        default: 32,
        description: "input partitions processed at once",
      },
      sessionTimeoutMs: {
        type: "number",
        integer: true,
        min: 6000,
        max: 300_000,
        env: "ROUTER_SESSION_TIMEOUT_MS",
        default: 30_000,
        description: "how long the group waits for a silent (crashed) member before " +
          "handing its partitions to others",
      },
      createTopics: {
        type: "boolean",
        env: "ROUTER_CREATE_TOPICS",
        default: true,
        description: "create missing topics from the declared table at start-up",
      },
      ...observabilityFlags(route.defaultMetricsPort),
      logLevel: logLevelFlag,
    },
  });
}

/** Runs a routing producer for `route` until SIGINT/SIGTERM; returns the exit code. */
export async function runRoutingProducer(route: RouteSpec): Promise<number> {
  const config = routingProducerConfig(route);
  const cfg = config.load();
  const log = createLogger({ name: route.script, level: cfg.logLevel });
  const shutdown = shutdownSignal(log);
  const connection = config.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: route.script, brokers: ["127.0.0.1:9092"] })
  );
  const registry = config.orExit(() => registryConnectionFrom(cfg));
  const backoff = config.orExit(() => backoffFrom(cfg));
  const injector = config.orExit(() => failureInjectorFrom(cfg));
  const retryBase = cfg.retryTopicPrefix ?? `${cfg.sourceTopic}-${route.type}`;
  try {
    const kafka = createKafka(connection, log);
    if (injector.active) log.warn("failure injection is on", { ...injector.settings });

    if (cfg.createTopics) {
      // Few retries, so an unreachable broker is said in seconds, not minutes.
      const admin = createKafka({ ...connection, retries: 2 }, log).admin();
      await admin.connect();
      await ensureTopics(admin, [
        renamed(TOPICS.orders, cfg.sourceTopic),
        renamed(route.target, cfg.targetTopic),
        renamed(TOPICS.ordersDlq, cfg.dlqTopic),
        ...retryTopicsFor(retryBase, backoff).map((t) => renamed(TOPICS.orders, t)),
      ], log);
      await admin.disconnect();
    }
    const codec = await createAvroCodec({
      registry,
      subject: route.subject,
      schemas: route.schemas,
    });
    log.info("schema registered", { subject: codec.subject, id: codec.schemaId });

    const metrics = new MetricsRegistry({ script: route.script });
    const server = serveMetrics(metrics, { hostname: cfg.metricsHost, port: cfg.metricsPort });
    log.info("metrics", { url: server.url });
    const lag = startLagMetrics({
      admin: kafka.admin(),
      metrics,
      groupId: cfg.groupId,
      topics: [cfg.sourceTopic, ...retryTopicsFor(retryBase, backoff)],
      log,
    });

    const router = createRouter({
      route,
      kafka,
      codec,
      log,
      metrics,
      sourceTopic: cfg.sourceTopic,
      targetTopic: cfg.targetTopic,
      dlqTopic: cfg.dlqTopic,
      retryBase,
      backoff,
      injector,
      groupId: cfg.groupId,
      transactionalIdPrefix: cfg.transactionalIdPrefix ?? cfg.groupId,
      transactionSize: cfg.transactionSize,
      lingerMs: cfg.lingerMs,
      concurrency: cfg.concurrency,
      sessionTimeoutMs: cfg.sessionTimeoutMs,
      progressIntervalS: cfg.progressInterval,
    });
    await router.run(shutdown.signal);
    await lag.stop();
    await server.close();
    return 0;
  } catch (err) {
    const retries = retryTopicsFor(retryBase, backoff);
    const security = await securityFailureLine(err, {
      ...connection,
      groups: [cfg.groupId],
      transactionalIds: [`${cfg.transactionalIdPrefix ?? cfg.groupId}-* (prefix)`],
    }, {
      admin: () => createKafka({ ...connection, retries: 0 }, kafkaLogger(log)).admin(),
      topics: {
        reads: [cfg.sourceTopic, ...retries],
        writes: [cfg.targetTopic, cfg.dlqTopic, ...retries],
      },
    });
    if (security) log.error(security);
    else if (err instanceof RegistryError) log.error(err.message);
    else log.error("stopped by an error", { error: err });
    return 1;
  } finally {
    shutdown.dispose();
  }
}
