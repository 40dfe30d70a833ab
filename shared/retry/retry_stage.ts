/**
 * Non-blocking retries for a consume-transform-produce loop, as one piece
 * the routing producers and the data consumers both take with their own
 * parameters.
 *
 * The loop subscribes to its sources and to their retry topics. A record
 * that fails is handed off ({@link RetryStage.fail}) to the next retry
 * topic or the DLQ, in the same Kafka transaction that commits its offset,
 * so a crash can neither lose nor repeat the hand-off. A batch from a retry
 * topic is processed up to the first record that is not due yet
 * ({@link RetryStage.due}); that partition alone is then paused until the
 * record is due ({@link RetryStage.hold}) and fetched again from it: no
 * sleeping in the handler, and the main topics and other partitions keep
 * moving meanwhile.
 *
 * @example
 * ```ts
 * // const retry = createRetryStage({ sources: [{ topic: "inventory_orders" }], policy, stage, log, metrics });
 * // consumer.subscribe({ topics: ["inventory_orders", ...retry.retryTopics] });
 * // const { due, holdUntil } = retry.due(batch.messages);
 * // ... process `due`, handing failures to retry.fail(record, err) ...
 * // if (holdUntil) retry.hold(pause, holdUntil, batch.topic, batch.partition);
 * ```
 * @module
 */
import type { ConsumedMessage } from "../kafka/records.ts";
import type { Logger } from "../platform/log.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import { type BackoffPolicy, dlqTopicName, retryTopicsFor } from "./backoff.ts";
import { classifyFailure } from "./classify.ts";
import {
  type ConsumedRecord,
  dueAt,
  type HandOff,
  handOff,
  retryHistory,
  type RetryRoute,
} from "./envelope.ts";

/** One source topic of the loop and where its failures go. */
export interface RetrySource {
  topic: string;
  /** Retry topics are `<retryBase>-retry-<n>`; default the source topic. */
  retryBase?: string;
  /** Default `<topic>-dlq`. */
  dlqTopic?: string;
  /** Where replays of its dead letters go; default the source topic. */
  replayTopic?: string;
}

export interface RetryStageOptions {
  sources: readonly RetrySource[];
  policy: BackoffPolicy;
  /** The script, named in headers. */
  stage: string;
  log: Logger;
  metrics: MetricsRegistry;
  now?: () => number;
  random?: () => number;
}

export interface RetryStage {
  /** Every source's retry topics, to subscribe to besides the sources. */
  readonly retryTopics: readonly string[];
  /** Every source's DLQ topic. */
  readonly dlqTopics: readonly string[];
  /** The route of a source topic (a record's original topic). */
  routeOf(originalTopic: string): RetryRoute;
  /** The records that may run now: all of them, up to the first not due yet. */
  due<M extends Pick<ConsumedMessage, "headers">>(messages: readonly M[]): {
    due: M[];
    /** When the first record left out is due (epoch ms). */
    holdUntil?: number;
  };
  /** Pauses one partition (the loop stops fetching it) until `until`. */
  hold(pause: () => () => void, until: number, topic: string, partition: number): void;
  /** Classifies the error and builds the record's hand-off; counts and logs it. */
  fail(record: ConsumedRecord, err: unknown): HandOff;
  /** Cancels pending resumes (at shutdown). */
  close(): void;
}

/** At most this many hand-off lines per interval; the rest are counted in the next line. */
const LOG_BURST = 10;
const LOG_INTERVAL_MS = 10_000;

export function createRetryStage(options: RetryStageOptions): RetryStage {
  const now = options.now ?? Date.now;
  const { policy, log, metrics } = options;
  const routes = new Map<string, RetryRoute>();
  for (const s of options.sources) {
    routes.set(s.topic, {
      policy,
      retryBase: s.retryBase ?? s.topic,
      dlqTopic: s.dlqTopic ?? dlqTopicName(s.topic),
      stage: options.stage,
      replayTopic: s.replayTopic,
    });
  }
  const m = {
    handoffs: metrics.counter(
      "retry_handoffs_total",
      "failed records handed to a retry topic or the DLQ",
      ["outcome", "class", "attempt"],
    ),
    held: metrics.gauge("retry_held_partitions", "retry topic partitions waiting for a record"),
    waits: metrics.counter("retry_holds_total", "times a retry partition paused until due"),
  };
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let logged = 0, suppressed = 0, windowStart = 0;

  const routeOf = (originalTopic: string): RetryRoute => {
    const route = routes.get(originalTopic);
    if (route) return route;
    // A record replayed or copied in from elsewhere: treat it as the first source's.
    return routes.values().next().value!;
  };

  return {
    retryTopics: [...routes.values()].flatMap((r) => retryTopicsFor(r.retryBase, policy)),
    dlqTopics: [...new Set([...routes.values()].map((r) => r.dlqTopic))],
    routeOf,
    due(messages) {
      const t = now();
      for (let i = 0; i < messages.length; i++) {
        const at = dueAt(messages[i].headers);
        if (at > t) return { due: messages.slice(0, i), holdUntil: at };
      }
      return { due: [...messages] };
    },
    hold(pause, until, topic, partition) {
      const id = `${topic}/${partition}`;
      if (timers.has(id)) return;
      const resume = pause();
      m.waits.inc();
      m.held.set({}, timers.size + 1);
      const timer = setTimeout(() => {
        timers.delete(id);
        m.held.set({}, timers.size);
        resume();
      }, Math.max(0, until - now()));
      timers.set(id, timer);
    },
    fail(record, err) {
      const failure = classifyFailure(err);
      const out = handOff(
        record,
        failure,
        routeOf(retryHistory(record).originalTopic),
        new Date(now()),
        options.random,
      );
      m.handoffs.inc({ outcome: out.outcome, class: failure.errorClass, attempt: out.attempt });
      const t = now();
      if (t - windowStart > LOG_INTERVAL_MS) {
        if (suppressed > 0) log.warn("more hand-offs not logged one by one", { suppressed });
        windowStart = t;
        logged = 0;
        suppressed = 0;
      }
      if (logged++ < LOG_BURST) {
        log.warn(out.outcome === "retry" ? "failed; handed to a retry topic" : "dead-lettered", {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          to: out.topic,
          attempt: out.attempt,
          kind: failure.kind,
          class: failure.errorClass,
          error: failure.message,
        });
      } else suppressed++;
      return out;
    },
    close() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      m.held.set({}, 0);
    },
  };
}

/** Groups hand-offs into one entry per topic, for one `sendBatch`. Pure. */
export function handOffsByTopic<M>(items: readonly { topic: string; message: M }[]) {
  const groups = new Map<string, M[]>();
  for (const { topic, message } of items) {
    const list = groups.get(topic);
    if (list) list.push(message);
    else groups.set(topic, [message]);
  }
  return [...groups].map(([topic, messages]) => ({ topic, messages }));
}
