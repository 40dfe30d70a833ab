/**
 * Intake: the one way orders get into the raw `orders` topic, shared by the
 * HTTP gateway, the load generator and the NDJSON import. One idempotent
 * @platformatic/kafka producer (acks from all in-sync replicas, keys placed
 * as Kafka's Java client places them), JSON values keyed by order id with a
 * `content-type` header.
 *
 * Concurrent {@linkcode OrderIntake.send} calls within `lingerMs` are
 * coalesced into one produce request, and each caller's promise settles only
 * when *its* orders are acknowledged by Kafka (or rejects when they are not:
 * an order is never dropped silently). So a resolved `send` means "in Kafka".
 *
 * After a failed send the producer is replaced by a fresh one: after a
 * failure its idempotence sequence numbers cannot be trusted (a later batch
 * reusing them could be taken by the broker for a duplicate of a batch that
 * was in fact written, and dropped while acknowledged), and its connections
 * may lead to a broker that is gone. A fresh producer id rules that out (the
 * library also drops its id after a failed send; the intake does not rely on
 * it). The price is at-least-once: orders of a failed send may still have
 * been written, and a caller that retries them may write them twice (same
 * key, same order id, which consumers deduplicate on).
 *
 * @example
 * ```ts
 * import { createOrderIntake } from "./intake.ts";
 * import { createLogger } from "../platform/log.ts";
 * const log = createLogger({ name: "intake" });
 * const connection = { brokers: ["127.0.0.1:9092"], clientId: "intake" };
 * const intake = createOrderIntake({ connection, log, source: "example" });
 * await intake.connect();
 * await intake.send([{
 *   orderId: "ord-1",
 *   type: "inventory",
 *   customerId: "cust-7",
 *   items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 24.99 }],
 *   createdAt: "2024-06-18T12:34:56Z",
 * }]);
 * await intake.close();
 * ```
 * @module
 */
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { RawOrder } from "../orders/model.ts";
import { rawOrderKey } from "../orders/enrich.ts";
import type { KafkaProducer } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { messagesToProduce, type OutgoingMessage } from "../kafka/records.ts";
import { TOPICS } from "../kafka/topics.ts";
import { classifySendError, errorMessage, IntakeError, withDeadline } from "./intake_error.ts";
import { type IntakeMetrics, intakeMetrics } from "./intake_metrics.ts";
import { createLingerQueue } from "./linger_queue.ts";
import { createProducerConnection, type ProducerConnection } from "./producer_connection.ts";

export { classifySendError, IntakeError, type IntakeErrorKind } from "./intake_error.ts";

/** What the HTTP handler (and any other source) needs from an intake. */
export interface OrderSink {
  /**
   * Writes `orders` to the topic; resolves once Kafka acknowledged every one
   * of them, rejects (with an {@linkcode IntakeError}) otherwise.
   */
  send(orders: readonly RawOrder[]): Promise<void>;
}

/** An intake: an {@linkcode OrderSink} with a connection to look after. */
export interface OrderIntake extends OrderSink {
  /**
   * Connects the producer (and creates the topic when `createTopic` says
   * so). Rejects with an {@linkcode IntakeError} of kind `unavailable` when
   * Kafka cannot be reached; with `reconnect`, the intake then keeps trying
   * in the background.
   */
  connect(): Promise<void>;
  /** Whether a producer is connected and no send failed since it connected. */
  readonly connected: boolean;
  /** The topic orders go to. */
  readonly topic: string;
  /**
   * Sends what is queued, waits for every send in flight, and disconnects.
   * Later `send` calls reject. Safe to call twice.
   */
  close(): Promise<void>;
}

export interface OrderIntakeOptions {
  /** Where Kafka is; its `retries` are the topic creation's, the producer's are `retries`. */
  connection: KafkaConnection;
  /** The raw orders topic; `orders` by default. */
  topic?: string;
  log: Logger;
  /** Where the intake counts orders, errors and latency; none by default. */
  metrics?: MetricsRegistry;
  /** The `source` label of `intake_orders_total` (gateway, generator, import). */
  source?: string;
  /** How long a send waits for others to join its batch, ms; 5 by default. */
  lingerMs?: number;
  /**
   * Most orders per produce request; 500 by default. One `send` larger than
   * this goes in a request of its own, whole.
   */
  maxBatch?: number;
  /** Most characters of JSON per produce request (same rule); 512 Ki by default. */
  maxBatchBytes?: number;
  /**
   * How often the producer retries a failed request before the send fails;
   * 5 by default (the library's default for the idempotent producer is
   * forever, which would hang a caller while Kafka is down).
   */
  retries?: number;
  /** How long the broker may take to acknowledge, ms; 30000 by default. */
  ackTimeoutMs?: number;
  /**
   * The longest a send may take, retries included, before its callers get an
   * `unavailable` error (and the producer is replaced); no limit by default
   * beyond the client's own timeouts and retries. A broker that hangs rather
   * than refuses would otherwise hold callers for requestTimeout × retries.
   */
  sendTimeoutMs?: number;
  /** Create the topic (as declared for `orders`, under `topic`) on connect when it is missing. */
  createTopic?: boolean;
  /**
   * Keep reconnecting in the background after a failed connect or send, with
   * a backoff from 500 ms up to `reconnectMaxMs` (10 s by default); sends
   * while disconnected reject at once with kind `unavailable`. Without it
   * (the default), a send while disconnected connects first.
   */
  reconnect?: boolean;
  reconnectMaxMs?: number;
}

/** One caller's part of a batch. */
interface Pending {
  messages: OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const CONTENT_TYPE_HEADER = { "content-type": "application/json" } as const;

/** The record one order becomes: JSON value, keyed by order id. Pure. */
export function orderMessage(order: RawOrder): OutgoingMessage {
  // Deliberately invalid orders (the generator's) may lack an id: they go unkeyed.
  const key = typeof order.orderId === "string" ? rawOrderKey(order) : null;
  return { key, value: JSON.stringify(order), headers: { ...CONTENT_TYPE_HEADER } };
}

/** The options with their defaults, every one given but `metrics` and `sendTimeoutMs`. */
export type IntakeSettings =
  & Required<Omit<OrderIntakeOptions, "metrics" | "sendTimeoutMs">>
  & Pick<OrderIntakeOptions, "metrics" | "sendTimeoutMs">;

/** `options` with the defaults filled in; throws a RangeError on a limit out of range. Pure. */
export function intakeSettings(options: OrderIntakeOptions): IntakeSettings {
  const {
    connection,
    log,
    metrics,
    topic = TOPICS.orders.name,
    source = "unknown",
    lingerMs = 5,
    maxBatch = 500,
    maxBatchBytes = 512 * 1024,
    retries = 5,
    ackTimeoutMs = 30_000,
    sendTimeoutMs,
    createTopic = false,
    reconnect = false,
    reconnectMaxMs = 10_000,
  } = options;
  if (!(maxBatch >= 1)) throw new RangeError(`maxBatch must be at least 1, got ${maxBatch}`);
  if (!(lingerMs >= 0)) throw new RangeError(`lingerMs must be 0 or more, got ${lingerMs}`);
  if (!(retries >= 1)) {
    throw new RangeError(`retries must be at least 1 for the idempotent producer, got ${retries}`);
  }
  return {
    connection,
    log,
    metrics,
    topic,
    source,
    lingerMs,
    maxBatch,
    maxBatchBytes,
    retries,
    ackTimeoutMs,
    sendTimeoutMs,
    createTopic,
    reconnect,
    reconnectMaxMs,
  };
}

/** Creates an intake; it connects on {@linkcode OrderIntake.connect} or on its first send. */
export function createOrderIntake(options: OrderIntakeOptions): OrderIntake {
  const settings = intakeSettings(options);
  const metrics = intakeMetrics(settings.metrics, settings.source);
  const producers = createProducerConnection({
    ...settings,
    whenSendsSettled: () => queue.settled(),
    onConnectedChange: metrics.connected,
  });
  const sends: BatchSend = { ...settings, producers, metrics };
  const queue = createLingerQueue<Pending>({
    ...settings,
    send: (batch, count) => sendBatch(sends, batch, count),
  });
  /** Set by close(): sends reject from then on. */
  let closing: Promise<void> | undefined;

  return {
    topic: settings.topic,
    get connected() {
      return producers.producer !== undefined;
    },
    async connect() {
      if (closing) throw new IntakeError("closed", "the intake is closed");
      try {
        await producers.connect();
      } catch (err) {
        producers.keepConnecting(err);
        throw err;
      }
    },
    send(orders) {
      if (closing) return Promise.reject(new IntakeError("closed", "the intake is closed"));
      if (orders.length === 0) return Promise.resolve();
      const messages = orders.map(orderMessage);
      const bytes = messages.reduce((n, m) => n + (m.value as string).length, 0);
      return new Promise<void>((resolve, reject) => {
        queue.push({ messages, bytes, resolve, reject });
      });
    },
    close() {
      closing ??= (async () => {
        queue.flush();
        await queue.settled();
        await producers.close();
      })();
      return closing;
    },
  };
}

/** What one batch's send needs. */
interface BatchSend extends Omit<IntakeSettings, "metrics"> {
  producers: ProducerConnection;
  metrics: IntakeMetrics;
}

/**
 * Sends one batch of `count` orders and settles each caller's promise:
 * resolved once Kafka acknowledged, rejected with an {@linkcode IntakeError}
 * otherwise (and the producer replaced, unless the broker only refused the
 * size). Never rejects itself.
 */
async function sendBatch(ctx: BatchSend, batch: Pending[], count: number): Promise<void> {
  const { producers, metrics, log, topic } = ctx;
  let current: KafkaProducer | undefined;
  try {
    current = producers.producer ?? await connectForSend(ctx);
    const started = performance.now();
    // Acks from all in-sync replicas within ackTimeoutMs: the producer's own settings.
    const sending = current.send({
      messages: messagesToProduce([{ topic, messages: batch.flatMap((p) => p.messages) }]),
    });
    await (ctx.sendTimeoutMs === undefined ? sending : withDeadline(sending, ctx.sendTimeoutMs));
    metrics.acknowledged(count, (performance.now() - started) / 1000);
    for (const p of batch) p.resolve();
  } catch (err) {
    metrics.failed();
    const kind = classifySendError(err);
    const error = err instanceof IntakeError
      ? err
      : new IntakeError(kind, `Kafka did not take ${count} order(s): ${errorMessage(err)}`, {
        cause: err,
      });
    // While Kafka is known to be away, the reconnect loop's line says it all.
    log[current ? "warn" : "debug"]("send failed", {
      topic,
      orders: count,
      kind,
      error: error.message,
    });
    // A refused size leaves the producer usable (the library takes a new producer id for its
    // next send); anything else may leave its sequence numbers or connections wrong.
    if (current && kind !== "too-large") producers.retire(current, error);
    for (const p of batch) p.reject(error);
  }
}

/**
 * A producer for a batch while there is none: without `reconnect` the send
 * connects; with it, it throws at once (`unavailable`, so the batch fails
 * within the flush that sent it) and a connect starts unless one is under way.
 */
function connectForSend(ctx: BatchSend): Promise<KafkaProducer> {
  const { producers } = ctx;
  if (!ctx.reconnect) return producers.connect();
  // Never asked to connect yet: start now; otherwise the loop is already on it.
  if (producers.idle) producers.connect().catch(producers.keepConnecting);
  throw new IntakeError("unavailable", "Kafka is not connected; try again later");
}
