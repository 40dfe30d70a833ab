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
 * The Kafka side (transactions, one transactional id per input partition so
 * the next owner fences the last, rebalances, shutdown) is the exactly-once
 * loop's (../kafka/exactly_once/loop.ts), as in the routing producers; this
 * module is what a chunk becomes.
 *
 * Failures do not block a partition: a record that cannot be applied (the
 * database down, an injected failure) is handed to its source's retry
 * topics, which this loop also consumes once each record is due, and after
 * the last attempt to the source's DLQ; a record that can never be applied
 * (undecodable, invalid) goes to the DLQ at once (../retry/retry_stage.ts).
 * Hand-offs travel in the same Kafka transaction as the offsets.
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
import type { BatchPosition, Store } from "../store/store.ts";
import { type OrderStatusEvent, statusMessage } from "../orders/status_event.ts";
import type { BackoffPolicy } from "../retry/backoff.ts";
import { classifyFailure, PermanentFailure, TransientFailure } from "../retry/classify.ts";
import { type ConsumedRecord, type HandOff, retryHistory } from "../retry/envelope.ts";
import type { FailureInjector } from "../retry/failure_injection.ts";
import { createRetryStage, handOffsByTopic } from "../retry/retry_stage.ts";

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
    { fenced: true; storedOffset: number } | { fenced: false; events: OrderStatusEvent[] }
  >;
  /**
   * The events of records the store had already applied, rebuilt from it;
   * `missing` are the records it has no trace of (failed ones, handed off).
   */
  republish(
    store: Store,
    records: readonly Consumed<R>[],
  ): Promise<{ events: OrderStatusEvent[]; missing: Consumed<R>[] }>;
}

export interface EffectConsumerOptions<R> {
  spec: EffectSpec<R>;
  kafka: Kafka;
  store: Store;
  codec: Pick<AvroCodec, "decode">;
  log: Logger;
  metrics: MetricsRegistry;
  /** One or more topics; offsets and transactional ids are kept per topic and partition. */
  sourceTopics: string[];
  statusTopic: string;
  /** One DLQ for every source; default `<source>-dlq` each. */
  dlqTopic?: string;
  backoff: BackoffPolicy;
  /** Injected failures (tests, demos); none by default. */
  injector?: FailureInjector;
  groupId: string;
  transactionalIdPrefix: string;
  settings: LoopSettings;
  /** How long the ownership guard waits between its two reads (tests shorten it). */
  guardSettleMs?: number;
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
  const { spec, kafka, store, codec, log, metrics } = options;
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
  const m = {
    consumed: metrics.counter("consumer_records_total", "records consumed and applied"),
    published: metrics.counter("consumer_status_events_total", "status events published", [
      "status",
    ]),
    republished: metrics.counter(
      "consumer_status_events_republished_total",
      "events of already applied records, published again after a crash",
    ),
    fenced: metrics.counter("consumer_fenced_batches_total", "batches the store had applied"),
    dead: metrics.counter("consumer_dead_lettered_total", "records sent to the DLQ"),
    batchSeconds: metrics.histogram("consumer_batch_seconds", "database + Kafka time per batch"),
    checkpoint: metrics.gauge(
      "consumer_checkpoint_offset",
      "next offset committed, per topic and partition",
      ["topic", "partition"],
    ),
  };

  const retry = createRetryStage({
    sources: options.sourceTopics.map((topic) => ({ topic, dlqTopic: options.dlqTopic })),
    policy: options.backoff,
    stage: spec.script,
    log,
    metrics,
  });

  /**
   * Decodes a chunk. What can never be applied (empty, undecodable, invalid)
   * fails permanently; a registry outage transiently; an injected failure
   * is transient too.
   */
  const decodeChunk = async (topic: string, partition: number, messages: KafkaMessage[]) => {
    const records: Consumed<R>[] = [];
    const failed: HandOff[] = [];
    const consumed = new Map<number, ConsumedRecord>();
    // Once the registry is found unreachable, the rest of the chunk fails with
    // the same error at once, instead of each record waiting out the client's
    // own retries.
    let outage: unknown;
    for (const msg of messages) {
      const offset = Number(msg.offset);
      const source = consumedRecord(topic, partition, msg);
      consumed.set(offset, source);
      const history = retryHistory(source);
      let failure: unknown;
      try {
        if (outage !== undefined) throw outage;
        const decoded = await decode(msg.value);
        const r = spec.fromAvro(decoded, history.originalTopic);
        if (typeof r === "object" && r !== null && "invalid" in r) {
          failure = new PermanentFailure("validation", (r as { invalid: string }).invalid);
        } else {
          failure = options.injector?.failure(spec.orderIdOf(r as R), history.attempts + 1);
          if (!failure) records.push({ offset, record: r as R });
        }
      } catch (err) {
        failure = err;
        if (!(err instanceof PermanentFailure)) outage = err;
      }
      if (failure !== undefined) failed.push(retry.fail(source, failure));
    }
    return { records, failed, consumed };
  };

  /** Avro bytes to a value; only a registry outage is worth retrying. */
  const decode = async (value: Buffer | null): Promise<Record<string, unknown>> => {
    if (!value || value.length === 0) {
      throw new PermanentFailure("unparseable", "empty record (no value)");
    }
    try {
      return await codec.decode(value);
    } catch (err) {
      const c = classifyFailure(err);
      if (c.kind === "transient" && ["registry", "network", "broker"].includes(c.errorClass)) {
        throw err;
      }
      throw new PermanentFailure(
        c.kind === "permanent" ? c.errorClass : "decode",
        `cannot decode: ${c.message}`,
      );
    }
  };

  /**
   * Applies what decoded. When the chunk as a whole fails, each record is
   * tried alone, so one bad record does not hold back the others; what
   * still fails is handed off with its error.
   */
  const applyDecoded = async (
    position: BatchPosition,
    records: Consumed<R>[],
    consumed: Map<number, ConsumedRecord>,
  ) => {
    try {
      return await applyChunk(position, records, consumed);
    } catch (err) {
      if (err instanceof PartitionLost || records.length === 0) throw err;
      log.warn("batch failed; applying its records one by one", {
        topic: position.topic,
        partition: position.partition,
        firstOffset: position.firstOffset,
        error: classifyFailure(err).message,
      });
    }
    const result = { events: [] as OrderStatusEvent[], republished: 0, failed: [] as HandOff[] };
    for (const r of records) {
      try {
        const alone = { ...position, firstOffset: r.offset, nextOffset: r.offset + 1 };
        const one = await applyChunk(alone, [r], consumed);
        result.events.push(...one.events);
        result.republished += one.republished;
        result.failed.push(...one.failed);
      } catch (err) {
        if (err instanceof PartitionLost) throw err;
        result.failed.push(retry.fail(consumed.get(r.offset)!, err));
      }
    }
    return result;
  };

  /** Applies a chunk to the store, handling a fenced start; returns the events. */
  const applyChunk = async (
    position: BatchPosition,
    records: Consumed<R>[],
    consumed: Map<number, ConsumedRecord>,
  ): Promise<{ events: OrderStatusEvent[]; republished: number; failed: HandOff[] }> => {
    const { topic, partition, firstOffset, nextOffset } = position;
    const result = await spec.apply(store, position, records);
    if (!result.fenced) return { events: result.events, republished: 0, failed: [] };
    // The store is ahead: what it has seen is republished from it, the rest applied.
    totals.fencedBatches++;
    m.fenced.inc();
    const stored = result.storedOffset;
    const done = records.filter((r) => r.offset < stored);
    const rest = records.filter((r) => r.offset >= stored);
    const { events: replayed, missing } = await spec.republish(store, done);
    // A record the store has no trace of failed last time, and its hand-off
    // was rolled back with the crashed transaction: hand it off again.
    const failed = missing.map((r) =>
      retry.fail(
        consumed.get(r.offset)!,
        new TransientFailure("crash", "not applied before a crash; handed off again"),
      )
    );
    log.info("batch already applied up to the stored offset; republishing its events", {
      topic,
      partition,
      firstOffset,
      storedOffset: stored,
      republished: replayed.length,
    });
    if (stored >= nextOffset) return { events: replayed, republished: replayed.length, failed };
    const second = await spec.apply(store, { ...position, firstOffset: stored }, rest);
    if (second.fenced) {
      throw new PartitionLost(
        `${topic}/${partition}: the store moved on to ${second.storedOffset} meanwhile; ` +
          "another instance owns this partition",
      );
    }
    return {
      events: [...replayed, ...second.events],
      republished: replayed.length,
      failed,
    };
  };

  const run = (signal: AbortSignal) =>
    runExactlyOnceLoop({
      kafka,
      log,
      metrics: consumerLoopMetrics(metrics),
      sourceTopics: options.sourceTopics,
      retry,
      groupId: options.groupId,
      transactionalIdPrefix: options.transactionalIdPrefix,
      settings: options.settings,
      totals,
      guardSettleMs: options.guardSettleMs,
      work: {
        async prepare(chunk) {
          const { topic, partition } = chunk;
          const decoded = await decodeChunk(topic, partition, chunk.messages);
          const applied = await applyDecoded(
            {
              group: options.groupId,
              topic,
              partition,
              firstOffset: chunk.firstOffset,
              nextOffset: chunk.nextOffset,
            },
            decoded.records,
            decoded.consumed,
          );
          const failed = [...decoded.failed, ...applied.failed];
          const topicMessages = [];
          if (applied.events.length) {
            topicMessages.push({
              topic: options.statusTopic,
              messages: applied.events.map(statusMessage),
            });
          }
          topicMessages.push(
            ...handOffsByTopic(failed.map((f) => ({ ...f, message: f.message as Message }))),
          );
          return {
            topicMessages,
            result: { events: applied.events, republished: applied.republished, failed },
          };
        },
        committed(chunk, { events, republished, failed }) {
          totals.published += events.length;
          totals.republished += republished;
          const dead = failed.filter((f) => f.outcome === "dead-letter").length;
          totals.deadLettered += dead;
          totals.retried += failed.length - dead;
          m.consumed.inc({}, chunk.messages.length);
          for (const e of events) m.published.inc({ status: e.status });
          m.republished.inc({}, republished);
          m.dead.inc({}, dead);
          m.checkpoint.set({ topic: chunk.topic, partition: chunk.partition }, chunk.nextOffset);
          m.batchSeconds.observe({}, (performance.now() - chunk.startedAt) / 1000);
        },
      },
    }, signal);

  return { run, totals: totals as Readonly<EffectTotals> };
}

/** Another instance applied this partition meanwhile: the batch is not ours to finish. */
class PartitionLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PartitionLost";
  }
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
