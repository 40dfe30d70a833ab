/**
 * The one program behind both routing producers; each entry file runs it
 * with its {@linkcode RouteSpec}. Read top to bottom: configuration, the
 * pieces from `shared/`, run until a signal, shut down.
 * @module
 */
import { createAvroCodec, RegistryError } from "../shared/kafka/avro_codec.ts";
import { defineConfig } from "../shared/platform/config.ts";
import { kafkaFlags } from "../shared/kafka/connection.ts";
import {
  exactlyOnceLoopFlags,
  loopSettingsFrom,
  runLoopScript,
  transactionalIdPrefixOf,
} from "../shared/kafka/exactly_once/loop_script.ts";
import { registryConnectionFrom, registryFlags } from "../shared/kafka/registry_connection.ts";
import { logLevelFlag } from "../shared/platform/log.ts";
import { observabilityFlags } from "../shared/platform/metrics.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import type { RouteSpec } from "../shared/router/routing_spec.ts";
import { createRouter } from "../shared/router/router.ts";
import { backoffFlags, backoffFrom, retryTopicsFor } from "../shared/retry/backoff.ts";
import { failureInjectionFlags, failureInjectorFrom } from "../shared/retry/failure_injection.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";

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
      ...exactlyOnceLoopFlags({
        envPrefix: "ROUTER",
        groupId: route.groupId,
        groupDescription: "consumer group",
        transactionDescription: "most raw records per transaction",
      }),
      ...observabilityFlags(route.defaultMetricsPort),
      logLevel: logLevelFlag,
    },
  });
}

/** Runs a routing producer for `route` until SIGINT/SIGTERM; returns the exit code. */
export function runRoutingProducer(route: RouteSpec): Promise<number> {
  const config = routingProducerConfig(route);
  const { cfg, log, connection } = startKafkaScript(config, {
    name: route.script,
    brokers: ["127.0.0.1:9092"],
  });
  const registry = config.orExit(() => registryConnectionFrom(cfg));
  const backoff = config.orExit(() => backoffFrom(cfg));
  const injector = config.orExit(() => failureInjectorFrom(cfg));
  const retryBase = cfg.retryTopicPrefix ?? `${cfg.sourceTopic}-${route.type}`;
  const retries = retryTopicsFor(retryBase, backoff);
  return runLoopScript({
    script: route.script,
    cfg,
    log,
    connection,
    injector,
    topics: [
      renamed(TOPICS.orders, cfg.sourceTopic),
      renamed(route.target, cfg.targetTopic),
      renamed(TOPICS.ordersDlq, cfg.dlqTopic),
      ...retries.map((t) => renamed(TOPICS.orders, t)),
    ],
    access: {
      reads: [cfg.sourceTopic, ...retries],
      writes: [cfg.targetTopic, cfg.dlqTopic, ...retries],
    },
    known: [RegistryError],
    async start(metrics) {
      const codec = await createAvroCodec({
        registry,
        subject: route.subject,
        schemas: route.schemas,
      });
      log.info("schema registered", { subject: codec.subject, id: codec.schemaId });
      return createRouter({
        route,
        connection,
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
        transactionalIdPrefix: transactionalIdPrefixOf(cfg),
        settings: loopSettingsFrom(cfg),
      });
    },
  });
}
