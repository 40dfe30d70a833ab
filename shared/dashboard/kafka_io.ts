/**
 * The dashboard's Kafka side: consumer lag of the watched groups (through
 * shared/lag.ts), a live tail of `orders`, `order_status` and the
 * dead-letter topics for the recent-orders table, the full read of the
 * dead-letter topics and their ledgers for the DLQ panel, and the replay of
 * one reason. Reading and replaying reuse the replayer's modules
 * (shared/dlq_replay/): the same read to the end, the same transactional id
 * per DLQ (so the dashboard and the command-line replayer fence each other)
 * and the same ledger, so a record is replayed at most once whoever asks.
 * Covered by tests/dashboard_test.ts on a real broker.
 *
 * @example
 * ```ts
 * import { readLag } from "./kafka_io.ts";
 * // const groups = await readLag(admin, [{ group: "inventory-sync", topic: "inventory_orders" }]);
 * ```
 * @module
 */
import type { Admin, Consumer, Kafka, KafkaMessage } from "kafkajs";
import type { OrderStatusEvent } from "../consumer/status_event.ts";
import { type DlqEntry, toDlqEntry } from "../dlq_replay/entry.ts";
import { openReplayProducer, readToEnd, replayEntries } from "../dlq_replay/io.ts";
import {
  type LedgerRecord,
  ledgerTopicName,
  ledgerTopicSpec,
  replayedKeys,
  transactionalIdFor,
} from "../dlq_replay/ledger.ts";
import { consumerLag } from "../lag.ts";
import type { Logger } from "../log.ts";
import { parseStatusEvent } from "../order_status_view.ts";
import { ensureTopics } from "../topics.ts";
import { type ReplayPlan, replayPlan, type ReplayRequest } from "./dlq_panel.ts";
import { type LagGroupView, lagGroupView, type LagTarget } from "./lag_view.ts";

/** The lag of every target; a target whose topic is missing gets an error row. */
export async function readLag(
  admin: Admin,
  targets: readonly LagTarget[],
): Promise<LagGroupView[]> {
  const topics = new Set(await admin.listTopics());
  const out: LagGroupView[] = [];
  for (const target of targets) {
    if (!topics.has(target.topic)) {
      out.push(lagGroupView(target, { error: `topic ${target.topic} does not exist yet` }));
      continue;
    }
    try {
      out.push(lagGroupView(target, await consumerLag(admin, target.group, target.topic)));
    } catch (err) {
      out.push(lagGroupView(target, { error: (err as Error).message }));
    }
  }
  return out;
}

/** What the tail hands over, record by record. */
export interface TailHandlers {
  order(value: unknown, fallbackId: string): void;
  status(event: OrderStatusEvent): void;
  deadLetter(orderId: string, reason: string): void;
}

const text = new TextDecoder();

function headerText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return headerText(v[v.length - 1]);
  return typeof v === "string" ? v : text.decode(v as Uint8Array);
}

/**
 * Follows `orders`, `order_status` and the existing DLQ topics from their
 * end (a group of its own that never commits, read_committed), handing each
 * record to `handlers`. Resolves with the consumer once it has joined.
 */
export async function startTail(kafka: Kafka, options: {
  ordersTopic: string;
  statusTopic: string;
  dlqTopics: readonly string[];
  handlers: TailHandlers;
  log: Logger;
}): Promise<Consumer> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics().finally(() => admin.disconnect()));
  const dlqs = options.dlqTopics.filter((t) => existing.has(t));
  const topics = [options.ordersTopic, options.statusTopic, ...dlqs].filter((t) => existing.has(t));
  if (!existing.has(options.ordersTopic)) {
    throw new Error(`topic ${options.ordersTopic} does not exist yet`);
  }
  const consumer = kafka.consumer({
    groupId: `dashboard-tail-${crypto.randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 250,
  });
  const joined = new Promise<void>((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, () => resolve());
  });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: false });
  const { handlers } = options;
  await consumer.run({
    autoCommit: false,
    eachMessage: ({ topic, partition, message }) => {
      tailRecord(topic, partition, message, options.ordersTopic, options.statusTopic, handlers);
      return Promise.resolve();
    },
  });
  await joined;
  options.log.info("following the pipeline's topics", { topics });
  return consumer;
}

function tailRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
  ordersTopic: string,
  statusTopic: string,
  handlers: TailHandlers,
): void {
  if (topic === ordersTopic) {
    let value: unknown = message.value === null ? null : text.decode(message.value);
    try {
      value = JSON.parse(value as string);
    } catch { /* shown as an invalid record */ }
    handlers.order(value, `offset ${partition}/${message.offset}`);
  } else if (topic === statusTopic) {
    const event = parseStatusEvent(message.value);
    if (!("invalid" in event)) handlers.status(event);
  } else {
    const id = headerText(message.headers?.["dlq.original.key"]) ??
      (message.key ? text.decode(message.key) : undefined);
    const reason = headerText(message.headers?.["dlq.reason"]) ?? "";
    if (id) handlers.deadLetter(id, reason);
  }
}

/** A DLQ topic's records and the keys its ledger holds; undefined when the topic does not exist. */
export type DlqContents = Map<string, { entries: DlqEntry[]; replayed: Set<string> } | undefined>;

/** Reads every record of the existing `dlqTopics` and of their ledgers, to their end. */
export async function readDlqTopics(kafka: Kafka, dlqTopics: readonly string[], options: {
  log: Logger;
  idleTimeoutMs: number;
  signal?: AbortSignal;
}): Promise<DlqContents> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics().finally(() => admin.disconnect()));
  const contents: DlqContents = new Map(dlqTopics.map((t) => [t, undefined]));
  const ledgers = new Map<string, string>();
  const ledgerRecords = new Map<string, LedgerRecord[]>();
  const read: string[] = [];
  for (const topic of dlqTopics.filter((t) => existing.has(t))) {
    contents.set(topic, { entries: [], replayed: new Set() });
    ledgerRecords.set(topic, []);
    read.push(topic);
    if (existing.has(ledgerTopicName(topic))) {
      ledgers.set(ledgerTopicName(topic), topic);
      read.push(ledgerTopicName(topic));
    }
  }
  if (read.length === 0) return contents;
  await readToEnd(kafka, {
    topics: read,
    groupPrefix: "dashboard-dlq-read",
    onMessage: (topic, partition, message) => {
      const dlq = ledgers.get(topic);
      if (dlq) ledgerRecords.get(dlq)!.push(message);
      else contents.get(topic)!.entries.push(toDlqEntry(partition, message));
    },
    log: options.log,
    idleTimeoutMs: options.idleTimeoutMs,
    signal: options.signal,
  });
  for (const [topic, records] of ledgerRecords) {
    contents.get(topic)!.replayed = replayedKeys(records);
  }
  return contents;
}

/** What a replay did; the page shows it. */
export interface ReplaySummary extends Omit<ReplayPlan, "pending"> {
  topic: string;
  reason: string;
  replayed: number;
  /** Records replayed per destination topic. */
  to: Record<string, number>;
  elapsedMs: number;
}

/** Records per transaction, as the replayer's default. */
const REPLAY_BATCH = 200;

/**
 * Replays the records of one reason of one DLQ that the ledger does not
 * hold yet, each batch and its ledger entries in one transaction. The
 * producer is opened (fencing any other replayer of this DLQ) before the
 * ledger is read, as the replayer does, so nothing committed elsewhere is
 * missed.
 */
export async function replayReason(kafka: Kafka, request: ReplayRequest, options: {
  log: Logger;
  idleTimeoutMs: number;
  signal?: AbortSignal;
}): Promise<ReplaySummary> {
  const started = Date.now();
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [ledgerTopicSpec(request.topic)], options.log)
    .finally(() => admin.disconnect());
  const producer = await openReplayProducer(kafka, transactionalIdFor(request.topic));
  try {
    const contents = await readDlqTopics(kafka, [request.topic], options);
    const read = contents.get(request.topic);
    if (!read) throw new Error(`the dead-letter topic ${request.topic} does not exist`);
    const plan = replayPlan(read.entries, read.replayed, request.reason);
    const to: Record<string, number> = {};
    for (let i = 0; i < plan.pending.length; i += REPLAY_BATCH) {
      const batch = plan.pending.slice(i, i + REPLAY_BATCH);
      const messages = await replayEntries(producer, request.topic, batch);
      for (const m of messages) to[m.topic] = (to[m.topic] ?? 0) + 1;
    }
    const { pending, ...counts } = plan;
    const summary = {
      topic: request.topic,
      reason: request.reason,
      ...counts,
      replayed: pending.length,
      to,
      elapsedMs: Date.now() - started,
    };
    options.log.info("replayed from the dashboard", { ...summary });
    return summary;
  } finally {
    await producer.disconnect().catch(() => {});
  }
}
