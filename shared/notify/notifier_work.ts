/**
 * What a chunk of consumed records becomes in the notifier, as the
 * exactly-once loop's {@linkcode ChunkWork}:
 *
 * - a chunk of raw `orders` remembers each valid order's `customerEmail`
 *   (or that it gave none) in the store; an invalid order is the routers'
 *   to dead-letter, and is passed over here;
 * - a chunk of `order_status` (or of the notifier's retry topics) sends one
 *   message per customer-facing event whose event id is not in the ledger,
 *   and writes the ledger row as soon as the SMTP server has answered 250,
 *   before QUIT. What fails is handed to the retry topics in the chunk's
 *   transaction: an SMTP 4xx, a relay that cannot be reached, an order not
 *   read yet (its status arrived first); a 5xx (a bad address) and a record
 *   that is no status event go to the DLQ at once, with the reply as reason.
 *
 * Why it is exactly once, and where it is not: the ledger, not Kafka, says
 * what was sent. A chunk consumed again (a crash, an aborted transaction,
 * a rebalance) finds its sent events in the ledger and sends nothing. The
 * one window is between the server's 250 and the ledger's commit (one
 * local write): a SIGKILL there sends that message again after the restart,
 * with the same Message-ID, Date and body (./notification.ts), so the
 * receiver can tell it is the same message. Two members working on one
 * partition during a rebalance can do the same. A store failure throws,
 * which aborts the transaction; the loop reads the chunk again.
 *
 * @example
 * ```ts
 * // const work = notifierWork({ store, smtp, addressing, statuses, ordersTopic, retry, log, metrics, totals });
 * // await runExactlyOnceLoop({ ..., work }, signal);
 * ```
 * @module
 */
import type { Chunk, ChunkWork } from "../kafka/exactly_once/chunk.ts";
import { consumedRecord } from "../kafka/exactly_once/chunk.ts";
import type { LoopTotals } from "../kafka/exactly_once/loop.ts";
import type { ConsumedMessage, OutgoingMessage } from "../kafka/records.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import { parseStatusEvent } from "../orders/status_event.ts";
import { parseOrderJson } from "../orders/validate.ts";
import { PermanentFailure, TransientFailure } from "../retry/classify.ts";
import type { HandOff } from "../retry/envelope.ts";
import { handOffsByTopic, type RetryStage } from "../retry/retry_stage.ts";
import type { NotificationRecipient, Store } from "../store/store.ts";
import { composeNotification, isCustomerFacing } from "./notification.ts";
import { sendMail, type SmtpServer } from "./smtp_client.ts";

/** What a status record came to. */
export type NotifyOutcome =
  | "sent"
  | "already_sent"
  | "not_customer_facing"
  | "no_address"
  | "handed_off";

export interface NotifierTotals extends LoopTotals {
  sent: number;
  alreadySent: number;
  skipped: number;
  retried: number;
  deadLettered: number;
  recipients: number;
}

/** The notifier's metrics, one of each. */
export function notifierMetrics(metrics: MetricsRegistry) {
  return {
    events: metrics.counter("notifier_events_total", "status events read, by outcome", [
      "outcome",
    ]),
    sent: metrics.counter("notifier_messages_sent_total", "messages the SMTP server accepted", [
      "status",
    ]),
    recipients: metrics.counter("notifier_recipients_total", "orders whose address was recorded"),
    smtpSeconds: metrics.histogram("notifier_smtp_seconds", "time of one SMTP conversation"),
    handoffs: metrics.counter("notifier_handoffs_total", "failed sends handed off", ["outcome"]),
  };
}

export interface NotifierContext {
  store: Store;
  smtp: SmtpServer;
  from: string;
  messageIdDomain: string;
  /** Statuses that get a message. */
  statuses: readonly string[];
  /** The raw orders topic: its chunks are addresses, every other topic's are status events. */
  ordersTopic: string;
  retry: RetryStage;
  log: Logger;
  totals: NotifierTotals;
  metrics: ReturnType<typeof notifierMetrics>;
}

/** What a chunk came to, for `committed`. */
interface ChunkResult {
  outcomes: NotifyOutcome[];
  failed: HandOff[];
  recipients: number;
}

/** The loop's {@linkcode ChunkWork} for the notifier. */
export function notifierWork(ctx: NotifierContext): ChunkWork<ChunkResult> {
  return {
    async prepare(chunk) {
      const result = chunk.topic === ctx.ordersTopic
        ? { outcomes: [], failed: [], recipients: await rememberRecipients(ctx, chunk) }
        : await notifyChunk(ctx, chunk);
      return {
        topicMessages: handOffsByTopic(
          result.failed.map((f) => ({ ...f, message: f.message as OutgoingMessage })),
        ),
        result,
      };
    },
    committed(_chunk, { outcomes, failed, recipients }) {
      const t = ctx.totals, m = ctx.metrics;
      for (const o of outcomes) m.events.inc({ outcome: o });
      t.alreadySent += outcomes.filter((o) => o === "already_sent").length;
      t.skipped += outcomes.filter((o) => o === "not_customer_facing" || o === "no_address")
        .length;
      const dead = failed.filter((f) => f.outcome === "dead-letter").length;
      t.deadLettered += dead;
      t.retried += failed.length - dead;
      m.handoffs.inc({ outcome: "dead-letter" }, dead);
      m.handoffs.inc({ outcome: "retry" }, failed.length - dead);
      t.recipients += recipients;
      m.recipients.inc({}, recipients);
    },
  };
}

/** The address of each valid order in `messages`, or null for one that gave none. Pure. */
export function recipientsOf(messages: readonly ConsumedMessage[]): NotificationRecipient[] {
  const out: NotificationRecipient[] = [];
  for (const msg of messages) {
    if (!msg.value) continue;
    const parsed = parseOrderJson(msg.value.toString());
    if (!parsed.ok) continue;
    out.push({ orderId: parsed.order.orderId, email: parsed.order.customerEmail ?? null });
  }
  return out;
}

async function rememberRecipients(ctx: NotifierContext, chunk: Chunk): Promise<number> {
  const recipients = recipientsOf(chunk.messages);
  await ctx.store.rememberRecipients(recipients);
  return recipients.length;
}

async function notifyChunk(ctx: NotifierContext, chunk: Chunk): Promise<ChunkResult> {
  const outcomes: NotifyOutcome[] = [];
  const failed: HandOff[] = [];
  // Every record here is due: the loop's fetch queue holds retry records until then.
  for (const msg of chunk.messages) {
    const source = consumedRecord(chunk.topic, chunk.partition, msg);
    const failure = await notifyOne(ctx, msg, outcomes);
    if (failure !== undefined) {
      failed.push(ctx.retry.fail(source, failure));
      outcomes.push("handed_off");
    }
  }
  return { outcomes, failed, recipients: 0 };
}

/**
 * Sends the message of one status record unless the ledger has it; pushes
 * its outcome, or returns the failure to hand off. Store errors are thrown.
 */
async function notifyOne(
  ctx: NotifierContext,
  msg: ConsumedMessage,
  outcomes: NotifyOutcome[],
): Promise<unknown> {
  const event = parseStatusEvent(msg.value);
  if ("invalid" in event) {
    return new PermanentFailure("validation", `not a status event: ${event.invalid}`);
  }
  if (!isCustomerFacing(event, ctx.statuses)) {
    outcomes.push("not_customer_facing");
    return undefined;
  }
  if (await ctx.store.sentNotification(event.eventId)) {
    outcomes.push("already_sent");
    return undefined;
  }
  const recipient = await ctx.store.recipientOf(event.orderId);
  if (recipient === undefined) {
    return new TransientFailure(
      "recipient",
      `order ${event.orderId} has not been read from ${ctx.ordersTopic} yet: no address known`,
    );
  }
  if (recipient.email === null) {
    outcomes.push("no_address");
    return undefined;
  }
  const mail = composeNotification(event, {
    from: ctx.from,
    to: recipient.email,
    messageIdDomain: ctx.messageIdDomain,
  });
  const started = performance.now();
  let accepted = false;
  try {
    await sendMail(ctx.smtp, mail, () => {
      accepted = true;
      return ctx.store.recordSentNotification({
        eventId: event.eventId,
        orderId: event.orderId,
        recipient: recipient.email!,
        messageId: mail.messageId,
        sentAt: Date.now(),
      });
    });
  } catch (err) {
    // Accepted, but the ledger write failed: a store error, which the loop retries whole.
    if (accepted) throw err;
    return err;
  } finally {
    ctx.metrics.smtpSeconds.observe({}, (performance.now() - started) / 1000);
  }
  ctx.totals.sent++;
  ctx.metrics.sent.inc({ status: event.status });
  outcomes.push("sent");
  return undefined;
}
