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
 * Each input partition has its own transactional id, as in the routing
 * producers, so the next owner of a partition fences the last.
 * @module
 */
import type { Consumer, Kafka, KafkaMessage, Message } from "kafkajs";
import { ownershipGuard, partitionId, transactionalProducers } from "../transactional_producers.ts";
import type { AvroCodec } from "../avro_codec.ts";
import { deadLetter } from "../dlq.ts";
import type { Logger } from "../log.ts";
import type { MetricsRegistry } from "../metrics.ts";
import type { BatchPosition, Store } from "../store/store.ts";
import { type OrderStatusEvent, statusMessage } from "./status_event.ts";

/** A consumed record with the offset it came from. */
export interface Consumed<R> {
  offset: number;
  record: R;
}

/** What one consumer does with its records, as a parameter of the loop. */
export interface EffectSpec<R> {
  /** The script's name, for logs, metrics and DLQ headers. */
  script: string;
  /** Turns a decoded Avro value from `topic` into a domain record, or says why it cannot. */
  fromAvro(value: Record<string, unknown>, topic: string): R | { invalid: string };
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
  /** The events of records the store had already applied, rebuilt from it. */
  republish(store: Store, records: readonly Consumed<R>[]): Promise<OrderStatusEvent[]>;
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
  dlqTopic: string;
  groupId: string;
  transactionalIdPrefix: string;
  batchSize: number;
  lingerMs: number;
  concurrency: number;
  sessionTimeoutMs: number;
  progressIntervalS: number;
}

export interface EffectTotals {
  consumed: number;
  published: number;
  republished: number;
  fencedBatches: number;
  deadLettered: number;
  transactions: number;
  aborts: number;
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
    tx: metrics.counter("consumer_transactions_total", "Kafka transactions by result", ["result"]),
    batchSeconds: metrics.histogram("consumer_batch_seconds", "database + Kafka time per batch"),
    rebalances: metrics.counter("consumer_rebalances_total", "consumer group joins"),
    partitions: metrics.gauge("consumer_assigned_partitions", "input partitions owned"),
    checkpoint: metrics.gauge(
      "consumer_checkpoint_offset",
      "next offset committed, per topic and partition",
      ["topic", "partition"],
    ),
  };

  const producers = transactionalProducers(kafka, options.transactionalIdPrefix);

  /** Decodes a chunk; undecodable or invalid records become DLQ messages. */
  const decodeChunk = async (topic: string, partition: number, messages: KafkaMessage[]) => {
    const records: Consumed<R>[] = [];
    const dead: Message[] = [];
    for (const msg of messages) {
      const offset = Number(msg.offset);
      let reason: string | undefined;
      let errorClass: "unparseable" | "validation" = "unparseable";
      try {
        const decoded = msg.value ? await codec.decode(msg.value) : undefined;
        if (!decoded) reason = "empty record (no value)";
        else {
          const r = spec.fromAvro(decoded, topic);
          if (typeof r === "object" && r !== null && "invalid" in r) {
            reason = (r as { invalid: string }).invalid;
            errorClass = "validation";
          } else records.push({ offset, record: r as R });
        }
      } catch (err) {
        reason = `cannot decode: ${(err as Error).message}`;
      }
      if (reason !== undefined) {
        dead.push(deadLetter(
          {
            topic,
            partition,
            offset: msg.offset,
            key: msg.key,
            value: msg.value,
          },
          { errorClass, reason, stage: spec.script },
          new Date(),
        ) as Message);
        log.warn("dead-lettered", { partition, offset: msg.offset, reason });
      }
    }
    return { records, dead };
  };

  /** Applies a chunk to the store, handling a fenced start; returns the events. */
  const applyChunk = async (
    topic: string,
    partition: number,
    firstOffset: number,
    nextOffset: number,
    records: Consumed<R>[],
  ): Promise<{ events: OrderStatusEvent[]; republished: number }> => {
    const position = (first: number): BatchPosition => ({
      group: options.groupId,
      topic,
      partition,
      firstOffset: first,
      nextOffset,
    });
    const result = await spec.apply(store, position(firstOffset), records);
    if (!result.fenced) return { events: result.events, republished: 0 };
    // The store is ahead: what it has seen is republished from it, the rest applied.
    totals.fencedBatches++;
    m.fenced.inc();
    const stored = result.storedOffset;
    const done = records.filter((r) => r.offset < stored);
    const rest = records.filter((r) => r.offset >= stored);
    const replayed = await spec.republish(store, done);
    log.info("batch already applied up to the stored offset; republishing its events", {
      topic,
      partition,
      firstOffset,
      storedOffset: stored,
      republished: replayed.length,
    });
    if (stored >= nextOffset) return { events: replayed, republished: replayed.length };
    const second = await spec.apply(store, position(stored), rest);
    if (second.fenced) {
      throw new Error(
        `${topic}/${partition}: the store moved on to ${second.storedOffset} meanwhile; ` +
          "another instance owns this partition",
      );
    }
    return { events: [...replayed, ...second.events], republished: replayed.length };
  };

  const run = async (signal: AbortSignal) => {
    const consumer: Consumer = kafka.consumer({
      groupId: options.groupId,
      readUncommitted: false,
      maxWaitTimeInMs: options.lingerMs,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: Math.max(2 * options.sessionTimeoutMs, 10_000),
    });
    const admin = kafka.admin();
    await admin.connect();
    const guard = ownershipGuard(admin, options.groupId, log);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      guard.reset();
      const assignment = e.payload.memberAssignment;
      const owned = new Set(
        Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => partitionId(t, p))),
      );
      m.rebalances.inc();
      m.partitions.set({}, owned.size);
      log.info("rebalanced: partitions assigned", { assignment });
      producers.retain(owned);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      log.error("consumer crashed; kafkajs restarts it", { error: e.payload.error });
    });
    // The offsets committed last, per topic/partition: said in every progress line.
    const checkpoints = new Map<string, number>();
    let progressTimer: ReturnType<typeof setInterval> | undefined;
    if (options.progressIntervalS > 0) {
      progressTimer = setInterval(
        () => log.info("progress", { ...totals, checkpoints: Object.fromEntries(checkpoints) }),
        options.progressIntervalS * 1000,
      );
    }

    await consumer.connect();
    await consumer.subscribe({ topics: options.sourceTopics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrency,
      eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
        producers.exclusive(batch.topic, batch.partition, async () => {
          const producer = await producers.get(batch.topic, batch.partition);
          // After a crash the group may hand out an offset from before the last
          // owner's final transaction; what that transaction covered is skipped.
          const messages = await guard.fresh(batch.topic, batch.partition, batch.messages);
          if (messages.length === 0 && batch.messages.length > 0) {
            resolveOffset(batch.messages[batch.messages.length - 1].offset);
            await heartbeat();
            return;
          }
          for (let i = 0; i < messages.length; i += options.batchSize) {
            if (!isRunning() || isStale()) return;
            const chunk = messages.slice(i, i + options.batchSize);
            const started = performance.now();
            const firstOffset = Number(chunk[0].offset);
            const lastOffset = chunk[chunk.length - 1].offset;
            const nextOffset = Number(lastOffset) + 1;
            const { records, dead } = await decodeChunk(batch.topic, batch.partition, chunk);
            const { events, republished } = await applyChunk(
              batch.topic,
              batch.partition,
              firstOffset,
              nextOffset,
              records,
            );
            const tx = await producer.transaction();
            try {
              const topicMessages = [];
              if (events.length) {
                topicMessages.push({
                  topic: options.statusTopic,
                  messages: events.map(statusMessage),
                });
              }
              if (dead.length) topicMessages.push({ topic: options.dlqTopic, messages: dead });
              if (topicMessages.length) await tx.sendBatch({ topicMessages, acks: -1 });
              await tx.sendOffsets({
                consumerGroupId: options.groupId,
                topics: [{
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: String(nextOffset) }],
                }],
              });
              await tx.commit();
              guard.committed(batch.topic, batch.partition, Number(nextOffset));
            } catch (err) {
              totals.aborts++;
              m.tx.inc({ result: "abort" });
              log.warn("Kafka transaction aborted; the batch will be consumed again", {
                topic: batch.topic,
                partition: batch.partition,
                firstOffset,
                error: err,
              });
              await tx.abort().catch(() => {});
              await producers.drop(batch.topic, batch.partition);
              guard.forget(batch.topic, batch.partition);
              throw err;
            }
            resolveOffset(lastOffset);
            totals.transactions++;
            totals.consumed += chunk.length;
            totals.published += events.length;
            totals.republished += republished;
            totals.deadLettered += dead.length;
            m.tx.inc({ result: "commit" });
            m.consumed.inc({}, chunk.length);
            for (const e of events) m.published.inc({ status: e.status });
            m.republished.inc({}, republished);
            m.dead.inc({}, dead.length);
            m.checkpoint.set({ topic: batch.topic, partition: batch.partition }, nextOffset);
            m.batchSeconds.observe({}, (performance.now() - started) / 1000);
            checkpoints.set(`${batch.topic}/${batch.partition}`, nextOffset);
            await heartbeat();
          }
        }),
    });

    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    log.info("stopping: finishing the open batch", { ...totals });
    await consumer.disconnect();
    await admin.disconnect();
    if (progressTimer !== undefined) clearInterval(progressTimer);
    await producers.closeAll();
    log.info("stopped", { ...totals });
  };

  return { run, totals: totals as Readonly<EffectTotals> };
}
