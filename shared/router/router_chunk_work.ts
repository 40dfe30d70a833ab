/**
 * What a chunk of raw orders becomes in a routing producer: its routed
 * records for the target topic and its hand-offs to retry topics or the
 * DLQ, as the exactly-once loop's {@linkcode ChunkWork}
 * (../kafka/exactly_once/chunk.ts). The loop carries them in
 * one transaction with the chunk's offset; {@linkcode countRouted} counts
 * them only once that transaction has committed.
 *
 * @example
 * ```ts
 * // const work = routerChunkWork({ route, codec, targetTopic, retry, metrics: routerMetrics(registry),
 * //   totals: emptyRouterTotals(), catalog: DEFAULT_CATALOG, now: Date.now });
 * ```
 * @module
 */
import type { ConsumedMessage, OutgoingMessage } from "../kafka/records.ts";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import type { LoopTotals } from "../kafka/exactly_once/loop.ts";
import { type Chunk, type ChunkWork, consumedRecord } from "../kafka/exactly_once/chunk.ts";
import type { ProductLookup } from "../orders/catalog.ts";
import type { Counter, Histogram, MetricsRegistry } from "../platform/metrics.ts";
import { classifyFailure, PermanentFailure } from "../retry/classify.ts";
import type { ConsumedRecord } from "../retry/envelope.ts";
import { retryHistory } from "../retry/envelope.ts";
import type { FailureInjector } from "../retry/failure_injection.ts";
import { handOffsByTopic, type RetryStage } from "../retry/retry_stage.ts";
import { type RouteOutcome, routeRecord, type RouteSpec } from "./routing_spec.ts";

/** Running totals, for progress lines and tests. */
export interface RouterTotals extends LoopTotals {
  routedOrders: number;
  routedRecords: number;
  skipped: number;
  deadLettered: number;
  retried: number;
  ignoredUnparseable: number;
}

/** Totals before the first record. */
export function emptyRouterTotals(): RouterTotals {
  return {
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
}

/** A routing producer's own metrics (the loop's are {@linkcode LoopMetrics}). */
export interface RouterMetrics {
  consumed: Counter;
  routed: Counter;
  records: Counter;
  skipped: Counter;
  dead: Counter;
  ignored: Counter;
  txSeconds: Histogram;
  txSize: Histogram;
}

/** Registers a routing producer's metrics. */
export function routerMetrics(registry: MetricsRegistry): RouterMetrics {
  return {
    consumed: registry.counter("router_consumed_total", "raw records consumed"),
    routed: registry.counter("router_routed_orders_total", "orders routed to the target topic"),
    records: registry.counter(
      "router_routed_records_total",
      "records produced to the target topic",
    ),
    skipped: registry.counter("router_skipped_total", "orders of other types, skipped", ["type"]),
    dead: registry.counter("router_dead_lettered_total", "records sent to the DLQ", ["class"]),
    ignored: registry.counter(
      "router_ignored_unparseable_total",
      "unparseable records left to the producer that owns them",
    ),
    txSeconds: registry.histogram("router_transaction_seconds", "transaction duration"),
    txSize: registry.histogram(
      "router_transaction_records",
      "records consumed per transaction",
      [],
      [1, 10, 50, 100, 250, 500, 1000, 5000],
    ),
  };
}

/** What routing a chunk needs. */
export interface RouterChunkContext {
  route: RouteSpec;
  codec: AvroCodec;
  targetTopic: string;
  retry: RetryStage;
  metrics: RouterMetrics;
  totals: RouterTotals;
  catalog: ProductLookup;
  now: () => number;
  injector?: FailureInjector;
}

/** What one chunk became: the target topic's messages, the hand-offs, and the counts. */
export interface RoutedChunk {
  routed: OutgoingMessage[];
  failed: { topic: string; message: OutgoingMessage }[];
  counts: { routedOrders: number; skipped: number; dead: number; retried: number; ignored: number };
}

/** The loop's work for a routing producer. */
export function routerChunkWork(ctx: RouterChunkContext): ChunkWork<RoutedChunk> {
  return {
    prepare(chunk) {
      const routed = routeChunk(ctx, chunk.topic, chunk.partition, chunk.messages);
      const topicMessages = [];
      if (routed.routed.length) {
        topicMessages.push({ topic: ctx.targetTopic, messages: routed.routed });
      }
      topicMessages.push(...handOffsByTopic(routed.failed));
      return Promise.resolve({ topicMessages, result: routed });
    },
    committed: (chunk, routed) => countRouted(ctx, chunk, routed),
  };
}

/** Transforms one chunk into the messages of one transaction. */
export function routeChunk(
  ctx: RouterChunkContext,
  topic: string,
  partition: number,
  messages: readonly ConsumedMessage[],
): RoutedChunk {
  const chunk: RoutedChunk = {
    routed: [],
    failed: [],
    counts: { routedOrders: 0, skipped: 0, dead: 0, retried: 0, ignored: 0 },
  };
  const routedAt = ctx.now();
  for (const msg of messages) {
    const consumed = consumedRecord(topic, partition, msg);
    const failure = takeOutcome(
      ctx,
      chunk,
      consumed,
      routeRecord(ctx.route, msg.value, routedAt, ctx.catalog),
    );
    if (failure !== undefined) handOff(ctx, chunk, consumed, failure);
  }
  return chunk;
}

/** Adds a record's outcome to `chunk`; returns the failure to hand off, if any. */
function takeOutcome(
  ctx: RouterChunkContext,
  chunk: RoutedChunk,
  consumed: ConsumedRecord,
  outcome: RouteOutcome,
): unknown {
  switch (outcome.kind) {
    case "routed":
      try {
        const injected = ctx.injector?.failure(
          outcome.orderId,
          retryHistory(consumed).attempts + 1,
        );
        if (injected) throw injected;
        chunk.routed.push(...encode(ctx.codec, outcome.records));
        chunk.counts.routedOrders++;
      } catch (err) {
        return err;
      }
      return undefined;
    case "skipped":
      chunk.counts.skipped++;
      ctx.metrics.skipped.inc({ type: outcome.type });
      return undefined;
    case "dead-letter":
      return new PermanentFailure(outcome.errorClass, outcome.reason);
    case "ignored-unparseable":
      chunk.counts.ignored++;
      ctx.metrics.ignored.inc();
      return undefined;
  }
}

/** Hands a failed record to its next retry topic or the DLQ, in the chunk's transaction. */
function handOff(
  ctx: RouterChunkContext,
  chunk: RoutedChunk,
  consumed: ConsumedRecord,
  failure: unknown,
): void {
  const out = ctx.retry.fail(consumed, failure);
  chunk.failed.push({ topic: out.topic, message: out.message as OutgoingMessage });
  if (out.outcome === "retry") chunk.counts.retried++;
  else {
    chunk.counts.dead++;
    ctx.metrics.dead.inc({ class: classifyFailure(failure).errorClass });
  }
}

/** Encodes a routed order's records; a registry outage is transient, a schema misfit not. */
function encode(codec: AvroCodec, records: { key: string; value: Record<string, unknown> }[]) {
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
}

/** After the commit: the chunk's counts go into the totals and metrics. */
function countRouted(ctx: RouterChunkContext, chunk: Chunk, { routed, counts }: RoutedChunk): void {
  const { totals, metrics: m } = ctx;
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
}
