/**
 * The routing producer: consume raw orders, keep one type, produce Avro
 * records, exactly once. Consume-transform-produce runs in Kafka
 * transactions that also carry the consumed offsets, so after any crash a
 * `read_committed` reader sees each routed order once: the transaction
 * either committed both the records and the offsets, or neither.
 *
 * The transactions, zombie fencing and shutdown are the exactly-once loop's
 * (../kafka/exactly_once/loop.ts); this module is what a chunk of raw orders
 * becomes: its routed records and its hand-offs to retry topics or the DLQ.
 *
 * @example
 * ```ts
 * // const router = createRouter({ route: INVENTORY_ROUTE, kafka, codec, log, metrics });
 * // await router.run(shutdown.signal);
 * ```
 * @module
 */
import type { Kafka, KafkaMessage, Message } from "kafkajs";
import { consumedRecord } from "../kafka/exactly_once/transactional_batches.ts";
import {
  type LoopMetrics,
  type LoopSettings,
  type LoopTotals,
  runExactlyOnceLoop,
} from "../kafka/exactly_once/loop.ts";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import { DEFAULT_CATALOG, type ProductLookup } from "../orders/catalog.ts";
import { routeRecord, type RouteSpec } from "./routing_spec.ts";
import type { BackoffPolicy } from "../retry/backoff.ts";
import { classifyFailure, PermanentFailure } from "../retry/classify.ts";
import { retryHistory } from "../retry/envelope.ts";
import type { FailureInjector } from "../retry/failure_injection.ts";
import { createRetryStage, handOffsByTopic } from "../retry/retry_stage.ts";

export interface RouterOptions {
  route: RouteSpec;
  kafka: Kafka;
  codec: AvroCodec;
  log: Logger;
  metrics: MetricsRegistry;
  sourceTopic: string;
  targetTopic: string;
  dlqTopic: string;
  /** Retry topics are `<retryBase>-retry-<n>`; the source is shared, so each route has its own. */
  retryBase: string;
  backoff: BackoffPolicy;
  /** Injected failures (tests, demos); none by default. */
  injector?: FailureInjector;
  groupId: string;
  transactionalIdPrefix: string;
  settings: LoopSettings;
  catalog?: ProductLookup;
  now?: () => number;
}

/** Running totals, for progress lines and tests. */
export interface RouterTotals extends LoopTotals {
  routedOrders: number;
  routedRecords: number;
  skipped: number;
  deadLettered: number;
  retried: number;
  ignoredUnparseable: number;
}

export interface Router {
  /** Runs until `signal` aborts; then finishes the open transaction and disconnects. */
  run(signal: AbortSignal): Promise<void>;
  readonly totals: Readonly<RouterTotals>;
}

/** Builds a router; nothing connects until `run`. */
export function createRouter(options: RouterOptions): Router {
  const { route, kafka, codec, log, metrics } = options;
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  const now = options.now ?? Date.now;
  const totals: RouterTotals = {
    consumed: 0,
    routedOrders: 0,
    routedRecords: 0,
    skipped: 0,
    deadLettered: 0,
    retried: 0,
    ignoredUnparseable: 0,
    transactions: 0,
    aborts: 0,
  };
  const m = {
    consumed: metrics.counter("router_consumed_total", "raw records consumed"),
    routed: metrics.counter("router_routed_orders_total", "orders routed to the target topic"),
    records: metrics.counter("router_routed_records_total", "records produced to the target topic"),
    skipped: metrics.counter("router_skipped_total", "orders of other types, skipped", ["type"]),
    dead: metrics.counter("router_dead_lettered_total", "records sent to the DLQ", ["class"]),
    ignored: metrics.counter(
      "router_ignored_unparseable_total",
      "unparseable records left to the producer that owns them",
    ),
    txSeconds: metrics.histogram("router_transaction_seconds", "transaction duration"),
    txSize: metrics.histogram(
      "router_transaction_records",
      "records consumed per transaction",
      [],
      [
        1,
        10,
        50,
        100,
        250,
        500,
        1000,
        5000,
      ],
    ),
  };

  const retry = createRetryStage({
    // The first retry topic is this route's own way back in: a replay of its
    // dead letters must not reach the other route through the shared source.
    sources: [{
      topic: options.sourceTopic,
      retryBase: options.retryBase,
      dlqTopic: options.dlqTopic,
      replayTopic: `${options.retryBase}-retry-1`,
    }],
    policy: options.backoff,
    stage: route.script,
    log,
    metrics,
    now,
  });

  /** Encodes a routed order's records; a registry outage is transient, a schema misfit not. */
  const encode = (records: { key: string; value: Record<string, unknown> }[]) => {
    try {
      return records.map((r) => ({ key: r.key, value: codec.encode(r.value) }));
    } catch (err) {
      // Only an outage is worth a retry; anything else the schema refused.
      if (["registry", "network", "broker"].includes(classifyFailure(err).errorClass)) throw err;
      throw new PermanentFailure(
        "encoding",
        `cannot encode with ${codec.subject} id ${codec.schemaId}: ${(err as Error).message}`,
      );
    }
  };

  /** Transforms one chunk into the messages of one transaction. */
  const transform = (topic: string, partition: number, messages: KafkaMessage[]) => {
    const routed: Message[] = [];
    const failed: { topic: string; message: Message }[] = [];
    const routedAt = now();
    const counts = { routedOrders: 0, skipped: 0, dead: 0, retried: 0, ignored: 0 };
    for (const msg of messages) {
      const consumed = consumedRecord(topic, partition, msg);
      const outcome = routeRecord(route, msg.value, routedAt, catalog);
      let failure: unknown;
      switch (outcome.kind) {
        case "routed": {
          try {
            const injected = options.injector?.failure(
              outcome.orderId,
              retryHistory(consumed).attempts + 1,
            );
            if (injected) throw injected;
            routed.push(...encode(outcome.records));
            counts.routedOrders++;
          } catch (err) {
            failure = err;
          }
          break;
        }
        case "skipped":
          counts.skipped++;
          m.skipped.inc({ type: outcome.type });
          break;
        case "dead-letter":
          failure = new PermanentFailure(outcome.errorClass, outcome.reason);
          break;
        case "ignored-unparseable":
          counts.ignored++;
          m.ignored.inc();
          break;
      }
      if (failure !== undefined) {
        const out = retry.fail(consumed, failure);
        failed.push({ topic: out.topic, message: out.message as Message });
        if (out.outcome === "retry") counts.retried++;
        else {
          counts.dead++;
          m.dead.inc({ class: classifyFailure(failure).errorClass });
        }
      }
    }
    return { routed, failed, counts };
  };

  const run = (signal: AbortSignal) =>
    runExactlyOnceLoop({
      kafka,
      log,
      metrics: routerLoopMetrics(metrics),
      sourceTopics: [options.sourceTopic],
      retry,
      groupId: options.groupId,
      transactionalIdPrefix: options.transactionalIdPrefix,
      settings: options.settings,
      totals,
      work: {
        prepare(chunk) {
          const transformed = transform(chunk.topic, chunk.partition, chunk.messages);
          const topicMessages = [];
          if (transformed.routed.length) {
            topicMessages.push({ topic: options.targetTopic, messages: transformed.routed });
          }
          topicMessages.push(...handOffsByTopic(transformed.failed));
          return Promise.resolve({ topicMessages, result: transformed });
        },
        committed(chunk, { routed, counts }) {
          totals.routedOrders += counts.routedOrders;
          totals.routedRecords += routed.length;
          totals.skipped += counts.skipped;
          totals.deadLettered += counts.dead;
          totals.retried += counts.retried;
          totals.ignoredUnparseable += counts.ignored;
          m.consumed.inc({}, chunk.messages.length);
          m.routed.inc({}, counts.routedOrders);
          m.records.inc({}, routed.length);
          m.txSeconds.observe({}, (performance.now() - chunk.startedAt) / 1000);
          m.txSize.observe({}, chunk.messages.length);
        },
      },
    }, signal);

  return { run, totals };
}

/** The exactly-once loop's metrics of a routing producer. */
export function routerLoopMetrics(registry: MetricsRegistry): LoopMetrics {
  return {
    transactions: registry.counter("router_transactions_total", "Kafka transactions by result", [
      "result",
    ]),
    rebalances: registry.counter("router_rebalances_total", "consumer group joins"),
    assignedPartitions: registry.gauge("router_assigned_partitions", "input partitions owned"),
  };
}
