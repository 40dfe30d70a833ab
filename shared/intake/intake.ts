/**
 * Intake: the one way orders get into the raw `orders` topic, shared by the
 * HTTP gateway, the load generator and the NDJSON import. One idempotent
 * kafkajs producer (acks from all in-sync replicas, at most 5 requests in
 * flight), JSON values keyed by order id with a `content-type` header.
 *
 * Concurrent {@linkcode OrderIntake.send} calls within `lingerMs` are
 * coalesced into one produce request, and each caller's promise settles only
 * when *its* orders are acknowledged by Kafka (or rejects when they are not:
 * an order is never dropped silently). So a resolved `send` means "in Kafka".
 *
 * After a failed send the producer is replaced by a fresh one: kafkajs rolls
 * its idempotence sequence numbers back after a failure, and a later batch
 * reusing them could be taken by the broker for a duplicate of a batch that
 * was in fact written, and dropped while acknowledged. A fresh producer id
 * rules that out. The price is at-least-once: orders of a failed send may
 * still have been written, and a caller that retries them may write them
 * twice (same key, same order id, which consumers deduplicate on).
 *
 * @example
 * ```ts
 * import { createOrderIntake } from "./intake.ts";
 * import { createKafka } from "../kafka/client.ts";
 * import { createLogger } from "../platform/log.ts";
 * const log = createLogger({ name: "intake" });
 * const kafka = createKafka({ brokers: ["127.0.0.1:9092"], clientId: "intake" }, log);
 * const intake = createOrderIntake({ kafka, log, source: "example" });
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
import { type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { RawOrder } from "../orders/model.ts";
import { rawOrderKey } from "../orders/enrich.ts";
import { sleep } from "../platform/shutdown.ts";
import { ensureTopics, renamed, TOPICS } from "../kafka/topics.ts";

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

/**
 * Why a send failed: `unavailable` (Kafka unreachable, timed out, not
 * connected: try again later), `too-large` (the broker refused the batch's
 * size), `closed` (the intake was closed), `failed` (anything else).
 */
export type IntakeErrorKind = "unavailable" | "too-large" | "closed" | "failed";

/** A send or connect that did not happen; `kind` says why. */
export class IntakeError extends Error {
  constructor(readonly kind: IntakeErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IntakeError";
  }
}

export interface OrderIntakeOptions {
  kafka: Kafka;
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
   * 5 by default (kafkajs' default for the idempotent producer is forever,
   * which would hang a caller while Kafka is down).
   */
  retries?: number;
  /** How long the broker may take to acknowledge, ms; 30000 by default. */
  ackTimeoutMs?: number;
  /**
   * The longest a send may take, retries included, before its callers get an
   * `unavailable` error (and the producer is replaced); no limit by default
   * beyond kafkajs' own timeouts and retries. A broker that hangs rather
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
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const CONTENT_TYPE_HEADER = { "content-type": "application/json" } as const;

/** The record one order becomes: JSON value, keyed by order id. Pure. */
export function orderMessage(order: RawOrder): Message {
  // Deliberately invalid orders (the generator's) may lack an id: they go unkeyed.
  const key = typeof order.orderId === "string" ? rawOrderKey(order) : null;
  return { key, value: JSON.stringify(order), headers: { ...CONTENT_TYPE_HEADER } };
}

/** Sorts a kafkajs failure into an {@linkcode IntakeErrorKind}. */
export function classifySendError(err: unknown): IntakeErrorKind {
  if (err instanceof IntakeError) return err.kind;
  // kafkajs wraps the last error of its retries in `cause`/`originalError`.
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && depth < 5; depth++) {
    const type = e.type;
    if (type === "MESSAGE_TOO_LARGE" || type === "RECORD_LIST_TOO_LARGE") return "too-large";
    e = (e.cause ?? e.originalError) as Record<string, unknown> | undefined;
  }
  const name = (err as Error)?.name ?? "";
  if (name === "KafkaJSProtocolError" && (err as { retriable?: boolean }).retriable === false) {
    return "failed";
  }
  // Connection errors, timeouts, exhausted retries, a disconnected producer.
  return "unavailable";
}

/** `promise`, or an `unavailable` error once `ms` have passed (the promise runs on, unobserved). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new IntakeError("unavailable", `Kafka did not acknowledge within ${ms} ms`)),
      ms,
    );
  });
  promise.catch(() => {});
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Creates an intake; it connects on {@linkcode OrderIntake.connect} or on its first send. */
export function createOrderIntake(options: OrderIntakeOptions): OrderIntake {
  const {
    kafka,
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

  const ordersTotal = metrics?.counter(
    "intake_orders_total",
    "orders acknowledged by Kafka on the raw orders topic",
    ["source"],
  );
  const sendErrors = metrics?.counter(
    "intake_send_errors_total",
    "produce requests that failed; their callers got an error",
  );
  const sendSeconds = metrics?.histogram(
    "intake_send_seconds",
    "time from a produce request to its acknowledgement",
  );
  const batchOrders = metrics?.histogram(
    "intake_batch_orders",
    "orders per produce request",
    [],
    [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
  );
  const connectedGauge = metrics?.gauge("intake_connected", "1 when the producer is connected");
  connectedGauge?.set({}, 0);

  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let reconnecting = false;
  /** Set by close(): sends reject from then on. */
  let closing: Promise<void> | undefined;
  /** Set once close() has flushed: nothing connects any more. */
  let closed = false;
  const stop = new AbortController();
  let queue: Pending[] = [];
  let queuedCount = 0;
  let queuedBytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const inFlight = new Set<Promise<void>>();

  function setProducer(value: Producer | undefined) {
    producer = value;
    connectedGauge?.set({}, value ? 1 : 0);
  }

  function connectOnce(): Promise<Producer> {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const fresh = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        allowAutoTopicCreation: false,
        retry: { retries },
        // The Java client's partitioner: a key lands where other clients put it too.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      try {
        if (createTopic) {
          const admin = kafka.admin();
          try {
            await admin.connect();
            await ensureTopics(admin, [renamed(TOPICS.orders, topic)], log);
          } finally {
            await admin.disconnect().catch(() => {});
          }
        }
        await fresh.connect();
      } catch (err) {
        await fresh.disconnect().catch(() => {});
        throw new IntakeError("unavailable", `cannot connect to Kafka: ${describe(err)}`, {
          cause: err,
        });
      }
      if (closed) {
        await fresh.disconnect().catch(() => {});
        throw new IntakeError("closed", "the intake was closed while connecting");
      }
      setProducer(fresh);
      return fresh;
    })().finally(() => connecting = undefined);
    return connecting;
  }

  /** Drops a producer after a failure; disconnects it once its sends settled. */
  function retire(failed: Producer, cause: unknown) {
    if (producer !== failed) return;
    setProducer(undefined);
    const settled = Promise.allSettled([...inFlight]);
    settled.then(() => failed.disconnect()).catch(() => {});
    if (reconnect) keepConnecting(cause);
  }

  /**
   * The reconnect loop, one at a time, until connected or closed. `failure`
   * is what brought it on: it waits a little before the first attempt.
   */
  async function keepConnecting(failure: unknown) {
    if (reconnecting || closed) return;
    reconnecting = true;
    const downSince = Date.now();
    let delay = 500;
    let attempts = 0;
    let error = failure;
    try {
      while (!closed && !producer) {
        // One clear line when Kafka goes away, quieter ones while it stays away.
        log[attempts === 0 ? "warn" : "debug"]("Kafka unreachable; sends fail until it is back", {
          topic,
          retryInMs: delay,
          error: describe(error),
        });
        await sleep(delay, stop.signal);
        delay = Math.min(delay * 2, reconnectMaxMs);
        if (closed || producer) break;
        attempts++;
        try {
          await connectOnce();
          log.info("connected to Kafka again", { topic, attempts, downMs: Date.now() - downSince });
        } catch (err) {
          error = err;
        }
      }
    } finally {
      reconnecting = false;
    }
  }

  function schedule() {
    if (queuedCount >= maxBatch || queuedBytes >= maxBatchBytes) {
      flush();
    } else if (timer === undefined) {
      timer = setTimeout(flush, lingerMs);
    }
  }

  /** Sends everything queued, in batches of at most maxBatch orders / maxBatchBytes. */
  function flush() {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0, bytes = 0;
      while (queue.length > 0) {
        const next = queue[0];
        const fits = count + next.messages.length <= maxBatch &&
          bytes + next.bytes <= maxBatchBytes;
        if (batch.length > 0 && !fits) break;
        batch.push(queue.shift()!);
        count += next.messages.length;
        bytes += next.bytes;
      }
      queuedCount -= count;
      queuedBytes -= bytes;
      const done = produce(batch, count).finally(() => inFlight.delete(done));
      inFlight.add(done);
    }
    queue = [];
  }

  async function produce(batch: Pending[], count: number): Promise<void> {
    let current: Producer | undefined;
    try {
      if (producer) current = producer;
      else if (reconnect) {
        // Never asked to connect yet: start now; otherwise the loop is already on it.
        if (!reconnecting && !connecting) connectOnce().catch(keepConnecting);
        throw new IntakeError("unavailable", "Kafka is not connected; try again later");
      } else current = await connectOnce();
      const started = performance.now();
      const sending = current.send({
        topic,
        acks: -1,
        timeout: ackTimeoutMs,
        messages: batch.flatMap((p) => p.messages),
      });
      await (sendTimeoutMs === undefined ? sending : withDeadline(sending, sendTimeoutMs));
      sendSeconds?.observe({}, (performance.now() - started) / 1000);
      batchOrders?.observe({}, count);
      ordersTotal?.inc({ source }, count);
      for (const p of batch) p.resolve();
    } catch (err) {
      sendErrors?.inc();
      const kind = classifySendError(err);
      const error = err instanceof IntakeError
        ? err
        : new IntakeError(kind, `Kafka did not take ${count} order(s): ${describe(err)}`, {
          cause: err,
        });
      // While Kafka is known to be away, the reconnect loop's line says it all.
      log[current ? "warn" : "debug"]("send failed", {
        topic,
        orders: count,
        kind,
        error: error.message,
      });
      // A refused size leaves the producer's sequence numbers right; anything else may not.
      if (current && kind !== "too-large") retire(current, error);
      for (const p of batch) p.reject(error);
    }
  }

  return {
    topic,
    get connected() {
      return producer !== undefined;
    },
    async connect() {
      if (closing) throw new IntakeError("closed", "the intake is closed");
      try {
        await connectOnce();
      } catch (err) {
        if (reconnect) keepConnecting(err);
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
        queuedCount += messages.length;
        queuedBytes += bytes;
        schedule();
      });
    },
    close() {
      closing ??= (async () => {
        flush();
        await Promise.allSettled([...inFlight]);
        closed = true;
        stop.abort();
        await connecting?.catch(() => {});
        const last = producer;
        setProducer(undefined);
        await last?.disconnect().catch(() => {});
      })();
      return closing;
    },
  };
}
