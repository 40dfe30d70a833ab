/**
 * The dashboard's Kafka side: consumer lag of the watched groups (through
 * shared/kafka/lag.ts), a live tail of `orders`, `order_status` and the
 * dead-letter topics for the recent-orders table, the full read of the
 * dead-letter topics and their ledgers for the DLQ panel, and the replay of
 * one reason. Reading and replaying are the replayer's own
 * (shared/dlq_replay/read_dlq.ts, replay.ts) with the dashboard's group
 * prefix and selection: the same read to the end, the same transactional id
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
import { FetchIsolationLevels, MessagesStreamModes } from "@platformatic/kafka";
import { createAdmin, createConsumer, type KafkaAdmin } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { type ConsumedMessage, consumedMessage } from "../kafka/records.ts";
import type { OrderStatusEvent } from "../orders/status_event.ts";
import { replayDlq, type ReplayOutcome } from "../dlq_replay/replay.ts";
import { groupSelection } from "../dlq_replay/selection.ts";
import { consumerLag } from "../kafka/lag.ts";
import type { Logger } from "../platform/log.ts";
import { parseStatusEvent } from "../orders/status_event.ts";
import type { ReplayRequest } from "./dlq_panel.ts";
import { type LagGroupView, lagGroupView, type LagTarget } from "./lag_view.ts";

/** The lag of every target; a target whose topic is missing gets an error row. */
export async function readLag(
  admin: KafkaAdmin,
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

/** A running tail; `close()` leaves its group. */
export interface Tail {
  close(): Promise<void>;
}

/**
 * Follows `orders`, `order_status` and the existing DLQ topics from their
 * end (a group of its own that never commits, read_committed), handing each
 * record to `handlers`. Resolves once it has joined.
 */
export async function startTail(connection: KafkaConnection, options: {
  ordersTopic: string;
  statusTopic: string;
  dlqTopics: readonly string[];
  handlers: TailHandlers;
  log: Logger;
}): Promise<Tail> {
  const admin = createAdmin(connection);
  const existing = new Set(await admin.listTopics().finally(() => admin.close()));
  const dlqs = options.dlqTopics.filter((t) => existing.has(t));
  const topics = [options.ordersTopic, options.statusTopic, ...dlqs].filter((t) => existing.has(t));
  if (!existing.has(options.ordersTopic)) {
    throw new Error(`topic ${options.ordersTopic} does not exist yet`);
  }
  const consumer = createConsumer(connection, {
    groupId: `dashboard-tail-${crypto.randomUUID()}`,
  });
  try {
    const stream = await consumer.consume({
      topics,
      mode: MessagesStreamModes.LATEST,
      autocommit: false,
      maxWaitTime: 250,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    const { handlers, log } = options;
    stream.on("data", (message) => {
      const record = consumedMessage(message);
      tailRecord(message.topic, message.partition, record, options, handlers);
    });
    stream.on("error", (err) => log.warn("the tail stopped", { error: err }));
    log.info("following the pipeline's topics", { topics });
    return {
      async close() {
        await stream.close().catch(() => {});
        await consumer.close(true).catch(() => {});
      },
    };
  } catch (err) {
    await consumer.close(true).catch(() => {});
    throw err;
  }
}

function tailRecord(
  topic: string,
  partition: number,
  message: ConsumedMessage,
  { ordersTopic, statusTopic }: { ordersTopic: string; statusTopic: string },
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
    const original = message.headers["dlq.original.key"];
    const id = original
      ? text.decode(original)
      : (message.key ? text.decode(message.key) : undefined);
    const reason = message.headers["dlq.reason"];
    if (id) handlers.deadLetter(id, reason ? text.decode(reason) : "");
  }
}

/** What a replay of one rule's group did (or, `refused`, why it did not); the page shows it. */
export interface ReplaySummary extends
  ReplayRequest,
  Pick<
    ReplayOutcome,
    | "matched"
    | "alreadyReplayed"
    | "unroutable"
    | "replayed"
    | "to"
    | "elapsedMs"
    | "refused"
    | "validationWarning"
  > {}

/** The consumer group prefix of the dashboard's reads of the DLQs, as its ACLs grant it. */
export const DLQ_READ_GROUP_PREFIX = "dashboard-dlq-read";

/**
 * Replays the records of one rule's group of one DLQ that the ledger does
 * not hold yet: the replayer's own replay (shared/dlq_replay/replay.ts) of
 * the listing's group, so the dashboard and the command line fence each
 * other and share the ledger. A group that all failed validation is
 * `refused` unless the request forces it. Throws what made it fail.
 */
export async function replayReason(connection: KafkaConnection, request: ReplayRequest, options: {
  log: Logger;
  idleTimeoutMs: number;
  signal?: AbortSignal;
}): Promise<ReplaySummary> {
  const outcome = await replayDlq(connection, {
    ...options,
    topic: request.topic,
    selection: groupSelection(request.rule),
    force: request.force,
    groupPrefix: DLQ_READ_GROUP_PREFIX,
  });
  if (outcome.error) throw outcome.error;
  const { matched, alreadyReplayed, unroutable, replayed, to, elapsedMs, refused } = outcome;
  const summary: ReplaySummary = {
    ...request,
    matched,
    alreadyReplayed,
    unroutable,
    replayed,
    to,
    elapsedMs,
    refused,
    ...(outcome.validationWarning ? { validationWarning: outcome.validationWarning } : {}),
  };
  if (refused) options.log.warn("a replay from the dashboard was refused", { ...summary });
  else options.log.info("replayed from the dashboard", { ...summary });
  return summary;
}
