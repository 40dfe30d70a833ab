/**
 * The hand-off of a failed record: to the next retry topic, with its
 * history in headers and the time it is due, or (permanent failure, or no
 * attempts left) to the dead-letter topic with the whole story.
 *
 * A record on a retry topic keeps its original key and bytes; its headers
 * say where it first came from (topic, partition, offset, key), which
 * attempt failed last, when the first and last failures were, the error's
 * class and message, and when it is due again.
 *
 * @example
 * ```ts
 * import { handOff, RETRY_HEADERS } from "./envelope.ts";
 * import { DEFAULT_BACKOFF } from "./backoff.ts";
 * const out = handOff(
 *   { topic: "inventory_orders", partition: 0, offset: "7", key: "SKU-1", value: new Uint8Array([0]) },
 *   { kind: "transient", errorClass: "database", message: "database is locked" },
 *   { policy: DEFAULT_BACKOFF, retryBase: "inventory_orders", dlqTopic: "inventory_orders-dlq", stage: "inventory_data_consumer" },
 *   new Date(0),
 * );
 * out.topic; // "inventory_orders-retry-1"
 * out.message.headers[RETRY_HEADERS.dueAt]; // "2000"
 * ```
 * @module
 */
import { bytesText, deadLetter, type FailedRecord } from "./dead_letter.ts";
import { type BackoffPolicy, delayMs, retryTopicNames } from "./backoff.ts";
import type { ClassifiedFailure } from "./classify.ts";

export const RETRY_HEADERS = {
  originalTopic: "retry.original.topic",
  originalPartition: "retry.original.partition",
  originalOffset: "retry.original.offset",
  originalKey: "retry.original.key",
  /** The attempt that failed last: 1 for the first try on the main topic. */
  attempt: "retry.attempt",
  firstFailedAt: "retry.first.failed.at",
  lastFailedAt: "retry.last.failed.at",
  errorClass: "retry.error.class",
  errorMessage: "retry.error.message",
  /** Epoch ms from which the next attempt may run. */
  dueAt: "retry.due.at",
  stage: "retry.stage",
} as const;

/** Where a stage's failed records go. */
export interface RetryRoute {
  policy: BackoffPolicy;
  /** Retry topics are `<retryBase>-retry-<n>`. */
  retryBase: string;
  dlqTopic: string;
  /** The script giving up, for headers. */
  stage: string;
  /** Where a replay of this stage's dead letters should go; default the original topic. */
  replayTopic?: string;
}

/** A consumed record with its headers as a consumer gives them (bytes). */
export interface ConsumedRecord extends FailedRecord {
  headers?: Record<string, unknown>;
}

/** Where a record originally came from and how often it has failed. */
export interface RetryHistory {
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  originalKey: string | null;
  /** Attempts that failed so far (0 for a record never tried). */
  attempts: number;
  firstFailedAt?: Date;
}

const keyText = (k: Uint8Array | string | null): string | null => bytesText(k) ?? null;

/** Reads a record's retry history: from its headers, or fresh from where it is. Pure. */
export function retryHistory(record: ConsumedRecord): RetryHistory {
  const h = (name: string) => bytesText(record.headers?.[name]);
  const originalTopic = h(RETRY_HEADERS.originalTopic);
  if (originalTopic === undefined) {
    return {
      originalTopic: record.topic,
      originalPartition: record.partition,
      originalOffset: record.offset,
      originalKey: keyText(record.key),
      attempts: 0,
    };
  }
  const first = h(RETRY_HEADERS.firstFailedAt);
  return {
    originalTopic,
    originalPartition: Number(h(RETRY_HEADERS.originalPartition) ?? -1),
    originalOffset: h(RETRY_HEADERS.originalOffset) ?? "-1",
    originalKey: h(RETRY_HEADERS.originalKey) ?? keyText(record.key),
    attempts: Number(h(RETRY_HEADERS.attempt) ?? 0),
    firstFailedAt: first ? new Date(first) : undefined,
  };
}

/** The epoch ms a retry record may run from; 0 for any other record. Pure. */
export function dueAt(headers: Record<string, unknown> | undefined): number {
  const v = bytesText(headers?.[RETRY_HEADERS.dueAt]);
  return v === undefined ? 0 : Number(v) || 0;
}

/** A message to send, and where it goes. */
export interface HandOff {
  topic: string;
  outcome: "retry" | "dead-letter";
  /** The attempt that just failed (1 = the first try). */
  attempt: number;
  message: {
    key: Uint8Array | string | null;
    value: Uint8Array | null;
    headers: Record<string, string>;
  };
}

/** Decides where a failed record goes next and builds its message. Pure but for `random`. */
export function handOff(
  record: ConsumedRecord,
  failure: ClassifiedFailure,
  route: RetryRoute,
  now: Date,
  random: () => number = Math.random,
): HandOff {
  const history = retryHistory(record);
  const attempt = history.attempts + 1;
  const firstFailedAt = history.firstFailedAt ?? now;
  if (failure.kind === "permanent" || attempt > route.policy.attempts) {
    const message = deadLetter(
      {
        topic: history.originalTopic,
        partition: history.originalPartition,
        offset: history.originalOffset,
        key: record.key,
        value: record.value,
      },
      { errorClass: failure.errorClass, reason: failure.message, stage: route.stage },
      now,
      { attempts: attempt, firstFailedAt, replayTopic: route.replayTopic },
    );
    return { topic: route.dlqTopic, outcome: "dead-letter", attempt, message };
  }
  const topic = retryTopicNames(route.retryBase, attempt)[attempt - 1];
  const headers: Record<string, string> = {
    [RETRY_HEADERS.originalTopic]: history.originalTopic,
    [RETRY_HEADERS.originalPartition]: String(history.originalPartition),
    [RETRY_HEADERS.originalOffset]: history.originalOffset,
    [RETRY_HEADERS.attempt]: String(attempt),
    [RETRY_HEADERS.firstFailedAt]: firstFailedAt.toISOString(),
    [RETRY_HEADERS.lastFailedAt]: now.toISOString(),
    [RETRY_HEADERS.errorClass]: failure.errorClass,
    [RETRY_HEADERS.errorMessage]: failure.message.slice(0, 4000),
    [RETRY_HEADERS.dueAt]: String(now.getTime() + delayMs(route.policy, attempt, random)),
    [RETRY_HEADERS.stage]: route.stage,
  };
  if (history.originalKey !== null) headers[RETRY_HEADERS.originalKey] = history.originalKey;
  return {
    topic,
    outcome: "retry",
    attempt,
    message: { key: record.key, value: record.value, headers },
  };
}
