/**
 * The loop both data consumers share: consume Avro records, apply their
 * effects to the database, publish what changed as order status events.
 *
 * Two checkpoints make it exactly once end to end:
 *
 * - **effects**: the store applies a batch and its offset in one database
 *   transaction, and refuses (fences) a batch that starts behind its stored
 *   offset, so no effect is applied twice;
 * - **publication**: status events and the consumed offsets go to Kafka in
 *   one transaction, so `read_committed` readers see each event once.
 *
 * The consumer group's Kafka offsets trail the database's. After a crash
 * between the two commits, the batch is consumed again, the store fences
 * it, and the loop republishes the events of what was already applied
 * (rebuilt from the database) before applying the rest. The order status
 * stream therefore has no gaps and, for `read_committed` readers, no
 * duplicates.
 *
 * The Kafka side (one transaction per fetch, its offsets fenced by the group
 * generation, rebalances, shutdown) is the exactly-once
 * loop's (../kafka/exactly_once/loop.ts), as in the routing producers; what
 * a chunk becomes is ./effect_chunk_work.ts.
 *
 * Failures do not block a partition: a record that cannot be applied (the
 * database down, an injected failure) is handed to its source's retry
 * topics, which this loop also consumes once each record is due, and after
 * the last attempt to the source's DLQ; a record that can never be applied
 * (undecodable, invalid) goes to the DLQ at once (../retry/retry_stage.ts).
 * Hand-offs travel in the same Kafka transaction as the offsets.
 *
 * A spec may also publish what it changed to a change log (the inventory
 * consumer's stock changes on `inventory`): Avro through the registry, in
 * the same transaction, rebuilt from the store after a crash like the
 * status events, so a `read_committed` reader sees each change once.
 * @module
 */
import type { KafkaConnection } from "../kafka/connection.ts";
import {
  type LoopMetrics,
  type LoopSettings,
  type LoopTotals,
  runExactlyOnceLoop,
} from "../kafka/exactly_once/loop.ts";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { BatchPosition, Store } from "../store/store.ts";
import type { OrderStatusEvent } from "../orders/status_event.ts";
import type { BackoffPolicy } from "../retry/backoff.ts";
import type { FailureInjector } from "../retry/failure_injection.ts";
import { createRetryStage } from "../retry/retry_stage.ts";
import { effectChunkWork, effectMetrics } from "./effect_chunk_work.ts";

/** One change-log record before encoding: its key and its Avro value. */
export interface ChangeRecord {
  key: string;
  value: Record<string, unknown>;
}

/** Where a consumer's change-log records go, and how their values are encoded. */
export interface ChangeLog {
  topic: string;
  /**
   * The encoder of the topic's schema; registers it on first use. Rejects
   * while the registry cannot be reached, and is asked again next time.
   */
  encoder(): Promise<(value: Record<string, unknown>) => Buffer>;
}

/** A consumed record with the offset it came from. */
export interface Consumed<R> {
  offset: number;
  record: R;
}

/**
 * The status events of `records` rebuilt from what the store recorded of
 * their orders (loaded once per order by `historyOf`); `missing` the records
 * it has no entry of. How both effects republish after a crash between the
 * store's commit and Kafka's.
 */
export async function recordedEvents<R extends { orderId: string }, H>(
  records: readonly Consumed<R>[],
  historyOf: (orderId: string) => Promise<H>,
  eventOf: (history: H, record: R) => OrderStatusEvent | undefined,
): Promise<{ events: OrderStatusEvent[]; missing: Consumed<R>[] }> {
  const histories = new Map<string, H>();
  for (const orderId of new Set(records.map((r) => r.record.orderId))) {
    histories.set(orderId, await historyOf(orderId));
  }
  const events: OrderStatusEvent[] = [];
  const missing: Consumed<R>[] = [];
  for (const r of records) {
    const event = eventOf(histories.get(r.record.orderId)!, r.record);
    if (event) events.push(event);
    else missing.push(r);
  }
  return { events, missing };
}

/** What one consumer does with its records, as a parameter of the loop. */
export interface EffectSpec<R> {
  /** The script's name, for logs, metrics and DLQ headers. */
  script: string;
  /** Turns a decoded Avro value from `topic` into a domain record, or says why it cannot. */
  fromAvro(value: Record<string, unknown>, topic: string): R | { invalid: string };
  /** The order a record belongs to (failure injection picks orders by id). */
  orderIdOf(record: R): string;
  /**
   * Applies records (all at or after `position.firstOffset`) with their
   * offset; returns the events to publish, or `fenced` with the stored
   * offset when the store was already past `firstOffset`.
   */
  apply(
    store: Store,
    position: BatchPosition,
    records: readonly Consumed<R>[],
  ): Promise<
    { fenced: true; storedOffset: number } | {
      fenced: false;
      events: OrderStatusEvent[];
      /** Change-log records of what this call changed (none when the spec keeps no change log). */
      changes?: ChangeRecord[];
    }
  >;
  /**
   * The events (and change-log records) of records the store had already
   * applied, rebuilt from it; `missing` are the records it has no trace of
   * (failed ones, handed off).
   */
  republish(
    store: Store,
    records: readonly Consumed<R>[],
  ): Promise<{ events: OrderStatusEvent[]; changes?: ChangeRecord[]; missing: Consumed<R>[] }>;
}

export interface EffectConsumerOptions<R> {
  spec: EffectSpec<R>;
  connection: KafkaConnection;
  store: Store;
  codec: Pick<AvroCodec, "decode">;
  log: Logger;
  metrics: MetricsRegistry;
  /** One or more topics; offsets and transactional ids are kept per topic and partition. */
  sourceTopics: string[];
  statusTopic: string;
  /** Where the spec's change-log records go; required when its effects return some. */
  changeLog?: ChangeLog;
  /** One DLQ for every source; default `<source>-dlq` each. */
  dlqTopic?: string;
  backoff: BackoffPolicy;
  /** Injected failures (tests, demos); none by default. */
  injector?: FailureInjector;
  groupId: string;
  transactionalIdPrefix: string;
  settings: LoopSettings;
}

export interface EffectTotals extends LoopTotals {
  published: number;
  republished: number;
  fencedBatches: number;
  deadLettered: number;
  retried: number;
}

/** Builds the loop; nothing connects until `run`. */
export function createEffectConsumer<R>(options: EffectConsumerOptions<R>) {
  const totals: EffectTotals = {
    consumed: 0,
    published: 0,
    republished: 0,
    fencedBatches: 0,
    deadLettered: 0,
    retried: 0,
    transactions: 0,
    aborts: 0,
  };
  const counters = effectMetrics(options.metrics);
  const retry = createRetryStage({
    sources: options.sourceTopics.map((topic) => ({ topic, dlqTopic: options.dlqTopic })),
    policy: options.backoff,
    stage: options.spec.script,
    log: options.log,
    metrics: options.metrics,
  });
  const work = effectChunkWork({ ...options, retry, totals, counters });

  const run = (signal: AbortSignal) =>
    runExactlyOnceLoop({
      connection: options.connection,
      log: options.log,
      metrics: consumerLoopMetrics(options.metrics),
      sourceTopics: options.sourceTopics,
      retry,
      groupId: options.groupId,
      transactionalIdPrefix: options.transactionalIdPrefix,
      settings: options.settings,
      totals,
      work,
    }, signal);

  return { run, totals: totals as Readonly<EffectTotals> };
}

/** The exactly-once loop's metrics of a data consumer. */
export function consumerLoopMetrics(registry: MetricsRegistry): LoopMetrics {
  return {
    transactions: registry.counter("consumer_transactions_total", "Kafka transactions by result", [
      "result",
    ]),
    rebalances: registry.counter("consumer_rebalances_total", "consumer group joins"),
    assignedPartitions: registry.gauge("consumer_assigned_partitions", "input partitions owned"),
  };
}
