/**
 * Why an order did not get into Kafka: the {@linkcode IntakeError} every
 * failed send or connect of an intake rejects with, the sorting of the Kafka
 * client's failures into what a caller can do about them, and the deadline a
 * send may be given. Pure but for the timer of {@linkcode withDeadline}.
 *
 * @example
 * ```ts
 * import { classifySendError, IntakeError } from "./intake_error.ts";
 * const refused = new AggregateError([new Error("Connection to b:9092 failed.")], "produce failed 3 times.");
 * classifySendError(refused); // "unavailable": try again later
 * new IntakeError("closed", "the intake is closed").kind; // "closed"
 * ```
 * @module
 */

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

/** What a Kafka client's error may carry: its broker error, its retriability, what it wraps. */
interface ClientError {
  name?: unknown;
  code?: unknown;
  /** The broker's error: kafkajs names it `type`, @platformatic/kafka `apiId`. */
  type?: unknown;
  apiId?: unknown;
  /** Whether retrying may help: kafkajs says `retriable`, @platformatic/kafka `canRetry`. */
  retriable?: unknown;
  canRetry?: unknown;
  cause?: unknown;
  originalError?: unknown;
  /** An aggregate's reasons: @platformatic/kafka wraps each retry's error, and each broker's. */
  errors?: unknown;
}

/** `err` and what it wraps, outermost first, at most `limit` of them. Pure. */
function wrapped(err: unknown, limit = 30): ClientError[] {
  const out: ClientError[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < limit) {
    const e = queue.shift();
    if (!e || typeof e !== "object") continue;
    const c = e as ClientError;
    out.push(c);
    queue.push(c.cause ?? c.originalError, ...(Array.isArray(c.errors) ? c.errors : []));
  }
  return out;
}

const TOO_LARGE = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/** Whether `e` is a broker's refusal that retrying cannot change. */
function refusedForGood(e: ClientError): boolean {
  return (e.name === "KafkaJSProtocolError" && e.retriable === false) ||
    (e.code === "PLT_KFK_PROTOCOL" && e.canRetry === false);
}

/** Sorts a Kafka client's failure (either client's) into an {@linkcode IntakeErrorKind}. */
export function classifySendError(err: unknown): IntakeErrorKind {
  if (err instanceof IntakeError) return err.kind;
  const errors = wrapped(err);
  // Both clients wrap the last error of their retries (and @platformatic/kafka each broker's).
  if (errors.some((e) => TOO_LARGE.has(String(e.type ?? e.apiId)))) return "too-large";
  // kafkajs throws a refusal as it is; @platformatic/kafka stops retrying on it and wraps it.
  if (errors.some(refusedForGood)) return "failed";
  // Connection errors, timeouts, exhausted retries, a disconnected producer.
  return "unavailable";
}

/** `promise`, or an `unavailable` error once `ms` have passed (the promise runs on, unobserved). */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
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

/**
 * An error's message, for a log line or the message of the error that wraps
 * it; with what it wraps down to the first reason, since @platformatic/kafka's
 * outer messages only count ("initProducerId failed 3 times") and the reason
 * ("connect ECONNREFUSED 127.0.0.1:9092") is its innermost error's. Pure.
 */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    // kafkajs repeats a wrapped error's message in its own: said once.
    if (e.message && !parts.at(-1)?.includes(e.message.replace(/\.$/, ""))) parts.push(e.message);
    const errors = (e as { errors?: unknown }).errors;
    // An aggregate's last reason is the latest attempt's.
    e = Array.isArray(errors) && errors.length ? errors[errors.length - 1] : e.cause;
  }
  // "failed 3 times.: Cannot connect" reads as "failed 3 times: Cannot connect".
  return parts.map((p, i) => i < parts.length - 1 ? p.replace(/\.$/, "") : p).join(": ") ||
    err.name;
}
