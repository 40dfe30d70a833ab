/**
 * Which failures are worth retrying. Transient: the database busy or
 * unreachable, the broker or the registry timing out or down; a later
 * attempt can succeed. Permanent: bytes that decode to nothing, a schema id
 * the registry does not know, an order that fails validation; retrying
 * would fail the same way, so they go straight to the DLQ. As in Spring
 * Kafka, an error nobody recognises is retried: a few wasted attempts cost
 * less than dead-lettering a record that would have gone through.
 *
 * @example
 * ```ts
 * import { classifyFailure, PermanentFailure } from "./classify.ts";
 * classifyFailure(new PermanentFailure("validation", "quantity: must be > 0")).kind; // "permanent"
 * classifyFailure(new Error("connect ECONNREFUSED 127.0.0.1:5432")).kind; // "transient"
 * ```
 * @module
 */

export type FailureKind = "transient" | "permanent";

/** What a failed attempt says about itself, for headers, logs and counters. */
export interface ClassifiedFailure {
  kind: FailureKind;
  /** A short category: database, registry, broker, decode, validation, injected, ... */
  errorClass: string;
  message: string;
}

/** An error its thrower knows will happen again. */
export class PermanentFailure extends Error {
  constructor(readonly errorClass: string, message: string) {
    super(message);
    this.name = "PermanentFailure";
  }
}

/** An error its thrower knows may pass. */
export class TransientFailure extends Error {
  constructor(readonly errorClass: string, message: string) {
    super(message);
    this.name = "TransientFailure";
  }
}

const RULES: { test: RegExp; kind: FailureKind; errorClass: string }[] = [
  // The registry: a schema id it does not have will never appear; bytes
  // without the Confluent framing are not ours to decode.
  {
    test: /schema\b.*\bnot found|subject\b.*\bnot found|\b404\b/i,
    kind: "permanent",
    errorClass: "registry",
  },
  {
    test: /magic byte|invalid (avro|schema)|truncated|invalid union index/i,
    kind: "permanent",
    errorClass: "decode",
  },
  {
    test: /schema registry .*cannot be reached|fetch failed|registry/i,
    kind: "transient",
    errorClass: "registry",
  },
  // Databases: busy, locked, restarting, unreachable, out of connections.
  {
    test:
      /SQLITE_BUSY|database is locked|deadlock|serializ|57P0\d|08\d{3}|53300|terminat|too many (clients|connections)|store is busy|database/i,
    kind: "transient",
    errorClass: "database",
  },
  {
    test: /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|socket|timed? ?out/i,
    kind: "transient",
    errorClass: "network",
  },
];

/** Classifies any thrown value. Pure. */
export function classifyFailure(err: unknown): ClassifiedFailure {
  if (err instanceof PermanentFailure) {
    return { kind: "permanent", errorClass: err.errorClass, message: err.message };
  }
  if (err instanceof TransientFailure) {
    return { kind: "transient", errorClass: err.errorClass, message: err.message };
  }
  const e = err as { name?: string; message?: string; code?: string; retriable?: boolean };
  const message = e?.message ?? String(err);
  const text = `${e?.code ?? ""} ${e?.name ?? ""} ${message}`;
  if (typeof e?.name === "string" && e.name.startsWith("KafkaJS")) {
    return {
      kind: e.retriable === false ? "permanent" : "transient",
      errorClass: "broker",
      message,
    };
  }
  for (const rule of RULES) {
    if (rule.test.test(text)) return { kind: rule.kind, errorClass: rule.errorClass, message };
  }
  return { kind: "transient", errorClass: e?.name ?? "error", message };
}
