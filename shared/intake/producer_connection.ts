/**
 * The intake's producer and its life: one idempotent @platformatic/kafka
 * producer (acks from all in-sync replicas, the Java client's partitioner,
 * shared/kafka/client.ts), connected once however many ask at the same time;
 * replaced after a failure (its idempotence sequence numbers cannot be
 * trusted any more, see shared/intake/intake.ts), and with `reconnect`
 * brought back in the background with a backoff from 500 ms up to
 * `reconnectMaxMs`.
 *
 * @example
 * ```ts
 * import { createProducerConnection } from "./producer_connection.ts";
 * import { createLogger } from "../platform/log.ts";
 * const log = createLogger({ name: "intake" });
 * const connection = createProducerConnection({
 *   connection: { brokers: ["127.0.0.1:9092"], clientId: "intake" },
 *   log,
 *   topic: "orders",
 *   retries: 5,
 *   ackTimeoutMs: 30_000,
 *   createTopic: false,
 *   reconnect: true,
 *   reconnectMaxMs: 10_000,
 *   whenSendsSettled: () => Promise.resolve(),
 *   onConnectedChange: () => {},
 * });
 * const producer = await connection.connect();
 * await connection.close();
 * ```
 * @module
 */
import type { Logger } from "../platform/log.ts";
import { sleep } from "../platform/shutdown.ts";
import { createProducer, type KafkaProducer } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../kafka/topics.ts";
import { errorMessage, IntakeError } from "./intake_error.ts";

export interface ProducerConnectionOptions {
  connection: KafkaConnection;
  log: Logger;
  /** The topic orders go to; created on connect (as declared for `orders`) with `createTopic`. */
  topic: string;
  /** How often the producer retries a failed request. */
  retries: number;
  /** How long the broker may take to acknowledge, ms. */
  ackTimeoutMs: number;
  createTopic: boolean;
  /** Keep reconnecting in the background after a failed connect or a retired producer. */
  reconnect: boolean;
  reconnectMaxMs: number;
  /** Settles once the sends in flight right now have: a retired producer disconnects after. */
  whenSendsSettled(): Promise<unknown>;
  /** Called with true when a producer connected, false when it was dropped. */
  onConnectedChange(connected: boolean): void;
}

/** The intake's producer, connected or on its way. */
export interface ProducerConnection {
  /** The connected producer; undefined while there is none. */
  readonly producer: KafkaProducer | undefined;
  /** No connect under way and no reconnect loop running. */
  readonly idle: boolean;
  /**
   * The producer, connecting one (and creating the topic) when there is
   * none; rejects with an {@linkcode IntakeError} (`unavailable`, or
   * `closed` when closed meanwhile).
   */
  connect(): Promise<KafkaProducer>;
  /** With `reconnect`: the reconnect loop, unless one runs; `failure` is what brought it on. */
  keepConnecting(failure: unknown): Promise<void>;
  /** Drops `failed` (when it is still the producer); it disconnects once its sends settled. */
  retire(failed: KafkaProducer, cause: unknown): void;
  /** Stops reconnecting and disconnects; nothing connects after it. */
  close(): Promise<void>;
}

/** Creates the connection; nothing connects before {@linkcode ProducerConnection.connect}. */
export function createProducerConnection(options: ProducerConnectionOptions): ProducerConnection {
  const { log, topic, reconnect, reconnectMaxMs } = options;
  let producer: KafkaProducer | undefined;
  let connecting: Promise<KafkaProducer> | undefined;
  let reconnecting = false;
  /** Set by close(): nothing connects any more. */
  let closed = false;
  const stop = new AbortController();

  function setProducer(value: KafkaProducer | undefined) {
    producer = value;
    options.onConnectedChange(value !== undefined);
  }

  function connect(): Promise<KafkaProducer> {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const fresh = await connectedProducer(options);
      if (closed) {
        await fresh.close().catch(() => {});
        throw new IntakeError("closed", "the intake was closed while connecting");
      }
      setProducer(fresh);
      return fresh;
    })().finally(() => connecting = undefined);
    return connecting;
  }

  async function keepConnecting(failure: unknown) {
    if (!reconnect || reconnecting || closed) return;
    reconnecting = true;
    try {
      await reconnectLoop({
        log,
        topic,
        reconnectMaxMs,
        signal: stop.signal,
        failure,
        done: () => closed || producer !== undefined,
        connect,
      });
    } finally {
      reconnecting = false;
    }
  }

  return {
    get producer() {
      return producer;
    },
    get idle() {
      return !reconnecting && !connecting;
    },
    connect,
    keepConnecting,
    retire(failed, cause) {
      if (producer !== failed) return;
      setProducer(undefined);
      options.whenSendsSettled().then(() => failed.close()).catch(() => {});
      keepConnecting(cause);
    },
    async close() {
      closed = true;
      stop.abort();
      await connecting?.catch(() => {});
      const last = producer;
      setProducer(undefined);
      await last?.close().catch(() => {});
    },
  };
}

/**
 * A new idempotent producer, connected (and the topic created first with
 * `createTopic`); an {@linkcode IntakeError} `unavailable` when Kafka
 * cannot be reached.
 */
async function connectedProducer(options: ProducerConnectionOptions): Promise<KafkaProducer> {
  const { connection, log, topic, retries, createTopic } = options;
  const fresh = createProducer({ ...connection, retries: boundedRetries(retries) }, {
    idempotent: true,
    acks: -1,
    timeout: options.ackTimeoutMs,
    autocreateTopics: false,
  });
  try {
    if (createTopic) await ensureTopicsAt(connection, [renamed(TOPICS.orders, topic)], log);
    // The library connects on first use: asking for the producer id now reaches Kafka
    // (and is refused there on bad credentials) before any order waits on it.
    await fresh.initIdempotentProducer({});
  } catch (err) {
    await fresh.close().catch(() => {});
    throw new IntakeError("unavailable", `cannot connect to Kafka: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return fresh;
}

/**
 * At least two retries: the library reads 0 or 1 on an idempotent producer
 * as "retry forever", which would hold a send (and a connect) for as long as
 * Kafka is down. Two more attempts 250 ms apart still fail in under a second.
 */
export function boundedRetries(retries: number): number {
  return Math.max(2, retries);
}

/** What the reconnect loop needs: when to stop, how to connect, how long to wait. */
interface ReconnectLoop {
  log: Logger;
  topic: string;
  reconnectMaxMs: number;
  signal: AbortSignal;
  /** What brought the loop on: it waits a little before the first attempt. */
  failure: unknown;
  /** Connected, or closed: the loop ends. */
  done(): boolean;
  connect(): Promise<unknown>;
}

/** Connects again and again, with a backoff from 500 ms up to `reconnectMaxMs`, until done. */
async function reconnectLoop(loop: ReconnectLoop): Promise<void> {
  const { log, topic } = loop;
  const downSince = Date.now();
  let delay = 500;
  let attempts = 0;
  let error = loop.failure;
  while (!loop.done()) {
    // One clear line when Kafka goes away, quieter ones while it stays away.
    log[attempts === 0 ? "warn" : "debug"]("Kafka unreachable; sends fail until it is back", {
      topic,
      retryInMs: delay,
      error: errorMessage(error),
    });
    await sleep(delay, loop.signal);
    delay = Math.min(delay * 2, loop.reconnectMaxMs);
    if (loop.done()) break;
    attempts++;
    try {
      await loop.connect();
      log.info("connected to Kafka again", { topic, attempts, downMs: Date.now() - downSince });
    } catch (err) {
      error = err;
    }
  }
}
