/**
 * The routing producer: consume raw orders, keep one type, produce Avro
 * records, exactly once. Consume-transform-produce runs in Kafka
 * transactions that also carry the consumed offsets, so after any crash a
 * `read_committed` reader sees each routed order once: the transaction
 * either committed both the records and the offsets, or neither.
 *
 * The transactions, zombie fencing and shutdown are the exactly-once loop's
 * (../kafka/exactly_once/loop.ts); what a chunk of raw orders becomes, its
 * routed records and its hand-offs to retry topics or the DLQ, is
 * ./router_chunk_work.ts. This module wires the two together.
 *
 * @example
 * ```ts
 * // const router = createRouter({ route: INVENTORY_ROUTE, connection, codec, log, metrics });
 * // await router.run(shutdown.signal);
 * ```
 * @module
 */
import type { KafkaConnection } from "../kafka/connection.ts";
import {
  type LoopMetrics,
  type LoopSettings,
  runExactlyOnceLoop,
} from "../kafka/exactly_once/loop.ts";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import { DEFAULT_CATALOG, type ProductLookup } from "../orders/catalog.ts";
import type { RouteSpec } from "./routing_spec.ts";
import type { BackoffPolicy } from "../retry/backoff.ts";
import type { FailureInjector } from "../retry/failure_injection.ts";
import { createRetryStage } from "../retry/retry_stage.ts";
import {
  emptyRouterTotals,
  routerChunkWork,
  routerMetrics,
  type RouterTotals,
} from "./router_chunk_work.ts";

export type { RouterTotals } from "./router_chunk_work.ts";

export interface RouterOptions {
  route: RouteSpec;
  connection: KafkaConnection;
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

export interface Router {
  /** Runs until `signal` aborts; then finishes the open transaction and disconnects. */
  run(signal: AbortSignal): Promise<void>;
  readonly totals: Readonly<RouterTotals>;
}

/** Builds a router; nothing connects until `run`. */
export function createRouter(options: RouterOptions): Router {
  const { route, connection, codec, log, metrics } = options;
  const now = options.now ?? Date.now;
  const totals = emptyRouterTotals();
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
  const work = routerChunkWork({
    route,
    codec,
    targetTopic: options.targetTopic,
    retry,
    metrics: routerMetrics(metrics),
    totals,
    catalog: options.catalog ?? DEFAULT_CATALOG,
    now,
    injector: options.injector,
  });
  const run = (signal: AbortSignal) =>
    runExactlyOnceLoop({
      connection,
      log,
      metrics: routerLoopMetrics(metrics),
      sourceTopics: [options.sourceTopic],
      retry,
      groupId: options.groupId,
      transactionalIdPrefix: options.transactionalIdPrefix,
      settings: options.settings,
      totals,
      work,
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
