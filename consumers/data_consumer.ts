/**
 * The one program behind both data consumers; each entry file runs it with
 * its {@linkcode DataConsumerSpec}. Read top to bottom: configuration, the
 * pieces from `shared/`, run until a signal, shut down.
 * @module
 */
import {
  type AvroCodec,
  checkRegistry,
  createAvroCodec,
  registryClient,
  RegistryError,
  wireDecoder,
} from "../shared/kafka/avro_codec.ts";
import { defineConfig } from "../shared/platform/config.ts";
import {
  type ChangeLog,
  createEffectConsumer,
  type EffectSpec,
} from "../shared/effects/effect_consumer.ts";
import type { AvroRecordSchema } from "../shared/orders/schemas.ts";
import { valueSubject } from "../shared/orders/schemas.ts";
import { kafkaFlags } from "../shared/kafka/connection.ts";
import {
  exactlyOnceLoopFlags,
  loopSettingsFrom,
  runLoopScript,
  transactionalIdPrefixOf,
} from "../shared/kafka/exactly_once/loop_script.ts";
import { logLevelFlag } from "../shared/platform/log.ts";
import {
  type RegistryConnection,
  registryConnectionFrom,
  registryFlags,
} from "../shared/kafka/registry_connection.ts";
import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { observabilityFlags } from "../shared/platform/metrics.ts";
import { openStore } from "../shared/store/open_store.ts";
import { StoreError } from "../shared/store/store.ts";
import { renamed, TOPICS, type TopicSpec } from "../shared/kafka/topics.ts";
import {
  backoffFlags,
  backoffFrom,
  dlqTopicName,
  retryTopicsFor,
} from "../shared/retry/backoff.ts";
import { failureInjectionFlags, failureInjectorFrom } from "../shared/retry/failure_injection.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";

/** One data consumer's parameters. */
export interface DataConsumerSpec<R> {
  effects: EffectSpec<R>;
  summary: string;
  /** The topics it reads, as declared. */
  sources: readonly TopicSpec[];
  groupId: string;
  /** The topic its effects' changes are published to, as declared; none when undefined. */
  changeLog?: TopicSpec;
  /** The change log's value schema (registered under `<topic>-value`); with `changeLog`. */
  changeLogSchema?: AvroRecordSchema;
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
      ...(spec.changeLog
        ? {
          changeLogTopic: {
            type: "string",
            env: "CONSUMER_CHANGE_LOG_TOPIC",
            default: spec.changeLog.name,
            description: "where each applied change goes, in the status events' transaction",
          } as const,
        }
        : {}),
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
export function runDataConsumer<R>(spec: DataConsumerSpec<R>): Promise<number> {
  const config = dataConsumerConfig(spec);
  const script = spec.effects.script;
  const { cfg, log, connection } = startKafkaScript(config, {
    name: script,
    brokers: ["127.0.0.1:9092"],
  });
  const backoff = config.orExit(() => backoffFrom(cfg));
  const injector = config.orExit(() => failureInjectorFrom(cfg));
  const registryConnection = config.orExit(() => registryConnectionFrom(cfg));
  const sources = cfg.sourceTopics.map((name, i) =>
    renamed(spec.sources[i] ?? spec.sources[0], name)
  );
  const retriesOf = (s: TopicSpec) => retryTopicsFor(s.name, backoff);
  const dlqs = [...new Set(sources.map((s) => cfg.dlqTopic ?? dlqTopicName(s.name)))];
  const changeLogTopic = "changeLogTopic" in cfg ? cfg.changeLogTopic as string : undefined;
  return runLoopScript({
    script,
    cfg,
    log,
    connection,
    injector,
    topics: [
      ...sources,
      ...sources.flatMap((s) => retriesOf(s).map((name) => renamed(s, name))),
      ...dlqs.map((name) => renamed(TOPICS.ordersDlq, name)),
      renamed(TOPICS.orderStatus, cfg.statusTopic),
      ...(spec.changeLog && changeLogTopic ? [renamed(spec.changeLog, changeLogTopic)] : []),
    ],
    access: {
      reads: sources.flatMap((s) => [s.name, ...retriesOf(s)]),
      writes: [
        ...sources.flatMap(retriesOf),
        ...dlqs,
        cfg.statusTopic,
        ...(changeLogTopic ? [changeLogTopic] : []),
      ],
    },
    known: [StoreError, RegistryError],
    async start(metrics) {
      const registry = registryClient(registryConnection);
      // Refused credentials or an untrusted certificate end the run now; an
      // outage may heal, and the records wait in the retry topics meanwhile.
      await checkRegistry(registryConnection, registry).catch((err) => {
        if (!(err instanceof RegistryError) || err.kind !== "unreachable") throw err;
        log.warn(err.message);
      });
      const store = await openStore({ url: cfg.databaseUrl, log });
      log.info("store open", { backend: store.backend, location: store.location });
      const consumer = createEffectConsumer({
        spec: spec.effects,
        connection,
        store,
        codec: { decode: wireDecoder(registry) },
        log,
        metrics,
        sourceTopics: cfg.sourceTopics,
        statusTopic: cfg.statusTopic,
        changeLog: changeLogTopic && spec.changeLogSchema
          ? registeredChangeLog(changeLogTopic, spec.changeLogSchema, {
            connection: registryConnection,
            client: registry,
          })
          : undefined,
        dlqTopic: cfg.dlqTopic,
        backoff,
        injector,
        groupId: cfg.groupId,
        transactionalIdPrefix: transactionalIdPrefixOf(cfg),
        settings: loopSettingsFrom(cfg),
      });
      return { run: consumer.run, close: () => store.close() };
    },
  });
}

/**
 * A change log whose schema is registered on first use (and again after a
 * failure): a consumer starts while the registry is down, and its records
 * wait in the retry topics until the schema can be registered.
 */
function registeredChangeLog(
  topic: string,
  schema: AvroRecordSchema,
  registry: { connection: RegistryConnection; client: SchemaRegistry },
): ChangeLog {
  let codec: Promise<AvroCodec> | undefined;
  return {
    topic,
    encoder() {
      codec ??= createAvroCodec({
        registry: registry.connection,
        client: registry.client,
        subject: valueSubject(topic),
        schemas: [schema],
      }).catch((err) => {
        codec = undefined;
        throw err;
      });
      return codec.then((c) => c.encode);
    },
  };
}
