/**
 * The one program behind both data consumers; each entry file runs it with
 * its {@linkcode DataConsumerSpec}. Read top to bottom: configuration, the
 * pieces from `shared/`, run until a signal, shut down.
 * @module
 */
import { checkRegistry, registryClient, RegistryError, wireDecoder } from "../shared/avro_codec.ts";
import { defineConfig } from "../shared/config.ts";
import { createEffectConsumer, type EffectSpec } from "../shared/consumer/effect_consumer.ts";
import { createKafka, kafkaConnectionFrom, kafkaFlags, kafkaLogger } from "../shared/kafka.ts";
import {
  createTopicsAtStart,
  exactlyOnceLoopFlags,
  logLoopFailure,
  loopSettingsFrom,
  transactionalIdPrefixOf,
} from "../shared/kafka/exactly_once/loop_script.ts";
import { createLogger, logLevelFlag } from "../shared/log.ts";
import { registryConnectionFrom, registryFlags } from "../shared/registry/client_connection.ts";
import { MetricsRegistry, observabilityFlags, serveMetrics } from "../shared/metrics.ts";
import { startLagMetrics } from "../shared/lag_metrics.ts";
import { shutdownSignal } from "../shared/shutdown.ts";
import { openStore } from "../shared/store/open_store.ts";
import { StoreError } from "../shared/store/store.ts";
import { renamed, TOPICS, type TopicSpec } from "../shared/topics.ts";
import {
  backoffFlags,
  backoffFrom,
  dlqTopicName,
  retryTopicsFor,
} from "../shared/retry/backoff.ts";
import { failureInjectionFlags, failureInjectorFrom } from "../shared/retry/failure_injection.ts";

/** One data consumer's parameters. */
export interface DataConsumerSpec<R> {
  effects: EffectSpec<R>;
  summary: string;
  /** The topics it reads, as declared. */
  sources: readonly TopicSpec[];
  groupId: string;
  defaultMetricsPort: number;
}

/** The flags of a data consumer; defaults depend on the spec. */
export function dataConsumerConfig<R>(spec: DataConsumerSpec<R>) {
  return defineConfig({
    name: spec.effects.script,
    summary: spec.summary,
    flags: {
      ...kafkaFlags,
      databaseUrl: {
        type: "string",
        env: "DATABASE_URL",
        description: "postgres://… for PostgreSQL; sqlite:PATH or unset for embedded SQLite",
      },
      ...registryFlags,
      sourceTopics: {
        type: "list",
        env: "CONSUMER_SOURCE_TOPICS",
        default: spec.sources.map((t) => t.name),
        description: "topics to consume",
      },
      statusTopic: {
        type: "string",
        env: "CONSUMER_STATUS_TOPIC",
        default: TOPICS.orderStatus.name,
        description: "where order status events go",
      },
      dlqTopic: {
        type: "string",
        env: "CONSUMER_DLQ_TOPIC",
        description: "one DLQ for every source, for records that cannot be applied " +
          "[default: <source>-dlq for each source]",
      },
      ...backoffFlags,
      ...failureInjectionFlags,
      ...exactlyOnceLoopFlags({
        envPrefix: "CONSUMER",
        groupId: spec.groupId,
        groupDescription: "consumer group; instances in one group share partitions",
        transactionDescription: "most records per database and Kafka transaction",
        formerSizeFlag: { flag: "batchSize", env: "CONSUMER_BATCH_SIZE" },
      }),
      ...observabilityFlags(spec.defaultMetricsPort),
      logLevel: logLevelFlag,
    },
  });
}

/** Runs a data consumer until SIGINT/SIGTERM; returns the exit code. */
export async function runDataConsumer<R>(spec: DataConsumerSpec<R>): Promise<number> {
  const config = dataConsumerConfig(spec);
  const cfg = config.load();
  const script = spec.effects.script;
  const log = createLogger({ name: script, level: cfg.logLevel });
  const connection = config.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: script, brokers: ["127.0.0.1:9092"] })
  );
  const backoff = config.orExit(() => backoffFrom(cfg));
  const injector = config.orExit(() => failureInjectorFrom(cfg));
  const registryConnection = config.orExit(() => registryConnectionFrom(cfg));
  const shutdown = shutdownSignal(log);
  let store;
  try {
    if (injector.active) log.warn("failure injection is on", { ...injector.settings });
    const registry = registryClient(registryConnection);
    // Refused credentials or an untrusted certificate end the run now; an
    // outage may heal, and the records wait in the retry topics meanwhile.
    await checkRegistry(registryConnection, registry).catch((err) => {
      if (!(err instanceof RegistryError) || err.kind !== "unreachable") throw err;
      log.warn(err.message);
    });
    store = await openStore({ url: cfg.databaseUrl, log });
    log.info("store open", { backend: store.backend, location: store.location });

    const sources = cfg.sourceTopics.map((name, i) =>
      renamed(spec.sources[i] ?? spec.sources[0], name)
    );
    await createTopicsAtStart(cfg, connection, log, [
      ...sources,
      ...sources.flatMap((s) => retryTopicsFor(s.name, backoff).map((name) => renamed(s, name))),
      ...new Set(sources.map((s) => cfg.dlqTopic ?? dlqTopicName(s.name))).values().map((name) =>
        renamed(TOPICS.ordersDlq, name)
      ),
      renamed(TOPICS.orderStatus, cfg.statusTopic),
    ]);

    const metrics = new MetricsRegistry({ script });
    const server = serveMetrics(metrics, { hostname: cfg.metricsHost, port: cfg.metricsPort });
    log.info("metrics", { url: server.url });
    const lag = startLagMetrics({
      admin: createKafka(connection, kafkaLogger(log)).admin(),
      metrics,
      groupId: cfg.groupId,
      topics: sources.flatMap((s) => [s.name, ...retryTopicsFor(s.name, backoff)]),
      log,
    });

    const decode = wireDecoder(registry);
    const consumer = createEffectConsumer({
      spec: spec.effects,
      kafka: createKafka(connection, kafkaLogger(log)),
      store,
      codec: { decode },
      log,
      metrics,
      sourceTopics: cfg.sourceTopics,
      statusTopic: cfg.statusTopic,
      dlqTopic: cfg.dlqTopic,
      backoff,
      injector,
      groupId: cfg.groupId,
      transactionalIdPrefix: transactionalIdPrefixOf(cfg),
      settings: loopSettingsFrom(cfg),
    });
    await consumer.run(shutdown.signal);
    await lag.stop();
    await server.close();
    return 0;
  } catch (err) {
    const sources = cfg.sourceTopics;
    const retries = sources.flatMap((s) => retryTopicsFor(s, backoff));
    await logLoopFailure(err, {
      cfg,
      connection,
      log,
      reads: [...sources, ...retries],
      writes: [...retries, ...sources.map((s) => cfg.dlqTopic ?? dlqTopicName(s)), cfg.statusTopic],
      known: [StoreError, RegistryError],
    });
    return 1;
  } finally {
    await store?.close().catch(() => {});
    shutdown.dispose();
  }
}
