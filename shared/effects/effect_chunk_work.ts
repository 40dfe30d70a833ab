/**
 * What a chunk of consumed records becomes in a data consumer, as the
 * exactly-once loop's {@linkcode ChunkWork}: decode it, apply it to the store
 * (republishing what the store had already applied), and hand the status
 * events, the change-log records and the failed records' hand-offs to the
 * chunk's transaction.
 *
 * Why each step is as it is lives in ./effect_consumer.ts (the two
 * checkpoints) and ../retry/retry_stage.ts (hand-offs).
 *
 * @example
 * ```ts
 * // const work = effectChunkWork({ spec, store, codec, log, retry, groupId, statusTopic, totals, counters: effectMetrics(metrics) });
 * // await runExactlyOnceLoop({ ..., work }, signal);
 * ```
 * @module
 */
import type { ConsumedMessage, OutgoingMessage } from "../kafka/records.ts";
import { type Chunk, type ChunkWork, consumedRecord } from "../kafka/exactly_once/chunk.ts";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { BatchPosition, Store } from "../store/store.ts";
import { type OrderStatusEvent, statusMessage } from "../orders/status_event.ts";
import { classifyFailure, PermanentFailure, TransientFailure } from "../retry/classify.ts";
import { type ConsumedRecord, type HandOff, retryHistory } from "../retry/envelope.ts";
import type { FailureInjector } from "../retry/failure_injection.ts";
import { handOffsByTopic, type RetryStage } from "../retry/retry_stage.ts";
import type {
  ChangeLog,
  ChangeRecord,
  Consumed,
  EffectSpec,
  EffectTotals,
} from "./effect_consumer.ts";

/** The data consumers' metrics, one of each. */
export function effectMetrics(metrics: MetricsRegistry) {
  return {
    consumed: metrics.counter("consumer_records_total", "records consumed and applied"),
    published: metrics.counter("consumer_status_events_total", "status events published", [
      "status",
    ]),
    changes: metrics.counter(
      "consumer_change_log_records_total",
      "change-log records published (the inventory consumer's stock changes), republished ones included",
    ),
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
}

export type EffectMetrics = ReturnType<typeof effectMetrics>;

/** What the chunk work needs: the consumer's spec and store, and where its counts go. */
export interface EffectChunkContext<R> {
  spec: EffectSpec<R>;
  store: Store;
  codec: Pick<AvroCodec, "decode">;
  log: Logger;
  retry: RetryStage;
  /** Injected failures (tests, demos); none when undefined. */
  injector?: FailureInjector;
  groupId: string;
  statusTopic: string;
  /** Where the spec's change-log records go; required when its effects return some. */
  changeLog?: ChangeLog;
  totals: EffectTotals;
  counters: EffectMetrics;
}

/** What a chunk came to: the events and changes it publishes, how many events again, and its hand-offs. */
export interface ChunkOutcome {
  events: OrderStatusEvent[];
  changes: ChangeRecord[];
  republished: number;
  failed: HandOff[];
}

/** The loop's {@linkcode ChunkWork} for one data consumer. */
export function effectChunkWork<R>(ctx: EffectChunkContext<R>): ChunkWork<ChunkOutcome> {
  return {
    prepare: (chunk) => prepareChunk(ctx, chunk),
    committed: (chunk, outcome) => countCommitted(ctx, chunk, outcome),
  };
}

/** Decodes and applies a chunk; returns what its transaction carries. */
async function prepareChunk<R>(ctx: EffectChunkContext<R>, chunk: Chunk) {
  const { topic, partition } = chunk;
  const decoded = await decodeChunk(ctx, topic, partition, chunk.messages);
  const applied = await applyDecoded(
    ctx,
    {
      group: ctx.groupId,
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
      topic: ctx.statusTopic,
      messages: applied.events.map(statusMessage),
    });
  }
  if (applied.changes.length) {
    if (!ctx.changeLog) throw new Error(`${ctx.spec.script} has changes but no change log`);
    const encode = await ctx.changeLog.encoder();
    topicMessages.push({
      topic: ctx.changeLog.topic,
      messages: applied.changes.map((c) => ({ key: c.key, value: encode(c.value) })),
    });
  }
  topicMessages.push(
    ...handOffsByTopic(failed.map((f) => ({ ...f, message: f.message as OutgoingMessage }))),
  );
  return {
    topicMessages,
    result: {
      events: applied.events,
      changes: applied.changes,
      republished: applied.republished,
      failed,
    },
  };
}

/** After the chunk's commit: totals and metrics. */
function countCommitted<R>(
  { totals, counters: m }: EffectChunkContext<R>,
  chunk: Chunk,
  { events, changes, republished, failed }: ChunkOutcome,
): void {
  totals.published += events.length;
  totals.republished += republished;
  const dead = failed.filter((f) => f.outcome === "dead-letter").length;
  totals.deadLettered += dead;
  totals.retried += failed.length - dead;
  m.consumed.inc({}, chunk.messages.length);
  for (const e of events) m.published.inc({ status: e.status });
  m.republished.inc({}, republished);
  m.changes.inc({}, changes.length);
  m.dead.inc({}, dead);
  m.checkpoint.set({ topic: chunk.topic, partition: chunk.partition }, chunk.nextOffset);
  m.batchSeconds.observe({}, (performance.now() - chunk.startedAt) / 1000);
}

/**
 * Decodes a chunk. What can never be applied (empty, undecodable, invalid)
 * fails permanently; a registry outage transiently; an injected failure
 * is transient too.
 */
async function decodeChunk<R>(
  { spec, codec, injector, retry, changeLog }: EffectChunkContext<R>,
  topic: string,
  partition: number,
  messages: ConsumedMessage[],
) {
  const records: Consumed<R>[] = [];
  const failed: HandOff[] = [];
  const consumed = new Map<number, ConsumedRecord>();
  // Once the registry is found unreachable, the rest of the chunk fails with
  // the same error at once, instead of each record waiting out the client's
  // own retries. The change log's schema must be registered before anything
  // is applied (its records are published with the effects): while it
  // cannot be, the records wait in the retry topics like a decode outage.
  let outage: unknown = await changeLog?.encoder().then(() => undefined, (err) => err);
  for (const msg of messages) {
    const offset = Number(msg.offset);
    const source = consumedRecord(topic, partition, msg);
    consumed.set(offset, source);
    const history = retryHistory(source);
    let failure: unknown;
    try {
      if (outage !== undefined) throw outage;
      const decoded = await decodeValue(codec, msg.value);
      const r = spec.fromAvro(decoded, history.originalTopic);
      if (typeof r === "object" && r !== null && "invalid" in r) {
        failure = new PermanentFailure("validation", (r as { invalid: string }).invalid);
      } else {
        failure = injector?.failure(spec.orderIdOf(r as R), history.attempts + 1);
        if (!failure) records.push({ offset, record: r as R });
      }
    } catch (err) {
      failure = err;
      if (!(err instanceof PermanentFailure)) outage = err;
    }
    if (failure !== undefined) failed.push(retry.fail(source, failure));
  }
  return { records, failed, consumed };
}

/** Avro bytes to a value; only a registry outage is worth retrying. */
async function decodeValue(
  codec: Pick<AvroCodec, "decode">,
  value: Buffer | null,
): Promise<Record<string, unknown>> {
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
}

/**
 * Applies what decoded. When the chunk as a whole fails, each record is
 * tried alone, so one bad record does not hold back the others; what
 * still fails is handed off with its error.
 */
async function applyDecoded<R>(
  ctx: EffectChunkContext<R>,
  position: BatchPosition,
  records: Consumed<R>[],
  consumed: Map<number, ConsumedRecord>,
): Promise<ChunkOutcome> {
  try {
    return await applyChunk(ctx, position, records, consumed);
  } catch (err) {
    if (err instanceof PartitionLost || records.length === 0) throw err;
    ctx.log.warn("batch failed; applying its records one by one", {
      topic: position.topic,
      partition: position.partition,
      firstOffset: position.firstOffset,
      error: classifyFailure(err).message,
    });
  }
  const result: ChunkOutcome = { events: [], changes: [], republished: 0, failed: [] };
  for (const r of records) {
    try {
      const alone = { ...position, firstOffset: r.offset, nextOffset: r.offset + 1 };
      const one = await applyChunk(ctx, alone, [r], consumed);
      result.events.push(...one.events);
      result.changes.push(...one.changes);
      result.republished += one.republished;
      result.failed.push(...one.failed);
    } catch (err) {
      if (err instanceof PartitionLost) throw err;
      result.failed.push(ctx.retry.fail(consumed.get(r.offset)!, err));
    }
  }
  return result;
}

/** Applies a chunk to the store, handling a fenced start; returns the events. */
async function applyChunk<R>(
  { spec, store, log, retry, totals, counters }: EffectChunkContext<R>,
  position: BatchPosition,
  records: Consumed<R>[],
  consumed: Map<number, ConsumedRecord>,
): Promise<ChunkOutcome> {
  const { topic, partition, firstOffset, nextOffset } = position;
  const result = await spec.apply(store, position, records);
  if (!result.fenced) {
    return { events: result.events, changes: result.changes ?? [], republished: 0, failed: [] };
  }
  // The store is ahead: what it has seen is republished from it, the rest applied.
  totals.fencedBatches++;
  counters.fenced.inc();
  const stored = result.storedOffset;
  const done = records.filter((r) => r.offset < stored);
  const rest = records.filter((r) => r.offset >= stored);
  const { events: replayed, changes: replayedChanges = [], missing } = await spec.republish(
    store,
    done,
  );
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
  if (stored >= nextOffset) {
    return { events: replayed, changes: replayedChanges, republished: replayed.length, failed };
  }
  const second = await spec.apply(store, { ...position, firstOffset: stored }, rest);
  if (second.fenced) {
    throw new PartitionLost(
      `${topic}/${partition}: the store moved on to ${second.storedOffset} meanwhile; ` +
        "another instance owns this partition",
    );
  }
  return {
    events: [...replayed, ...second.events],
    changes: [...replayedChanges, ...(second.changes ?? [])],
    republished: replayed.length,
    failed,
  };
}

/** Another instance applied this partition meanwhile: the batch is not ours to finish. */
class PartitionLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PartitionLost";
  }
}
