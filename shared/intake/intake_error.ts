/**
 * Why an order did not get into Kafka: the {@linkcode IntakeError} every
 * failed send or connect of an intake rejects with, the sorting of kafkajs'
 * failures into what a caller can do about them, and the deadline a send
 * may be given. Pure but for the timer of {@linkcode withDeadline}.
 *
 * @example
 * ```ts
 * import { classifySendError, IntakeError } from "./intake_error.ts";
 * const refused = Object.assign(new Error("Connection error"), { name: "KafkaJSConnectionError" });
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

/** An error's message, for a log line or the message of the error that wraps it. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
