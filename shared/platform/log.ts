/**
 * Structured logging: one JSON object per line on stderr, so that stdout
 * stays free for a script's real output (listings, tables, data).
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const log = createLogger({ name: "inventory-producer" });
 * log.info("started", { topic: "inventory_orders" });
 * log.child({ partition: 3 }).warn("slow batch", { ms: 420 });
 * ```
 * @module
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra structured fields carried on a log line. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
  /** The same logger with another lowest level. */
  withLevel(level: LogLevel): Logger;
  readonly level: LogLevel;
}

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** The `--log-level` flag every script has (spread into its flags as `logLevel`). */
export const logLevelFlag = {
  type: "enum",
  choices: ["debug", "info", "warn", "error"],
  env: "LOG_LEVEL",
  default: "info",
  description: "lowest level logged",
} as const;
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** The component name, written as `logger` on every line. */
  name: string;
  /** Lowest level written; defaults to `info`. */
  level?: LogLevel;
  /** Where lines go; defaults to stderr. Tests pass a collector. */
  write?: (line: string) => void;
  /** Fields added to every line. */
  fields?: LogFields;
}

const encoder = new TextEncoder();
function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** Errors do not survive JSON.stringify; turn them into plain fields. */
function plain(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    // What a Kafka client's refusal names: the broker's error (apiId), its own words.
    for (const key of ["apiId", "serverErrorMessage"]) {
      const v = (value as unknown as Record<string, unknown>)[key];
      if (v !== undefined && v !== null) out[key] = v;
    }
    // An AggregateError's reasons are the message; the first few say enough.
    const errors = (value as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length && depth < 5) {
      out.errors = errors.slice(0, 5).map((e) => plain(e, depth + 1));
    }
    // A cause chain may loop back on itself; five levels say enough.
    if (value.cause !== undefined && depth < 5) out.cause = plain(value.cause, depth + 1);
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** Formats one log line; pure, so it is tested on its own. */
export function formatLogLine(
  level: LogLevel,
  name: string,
  msg: string,
  fields: LogFields,
  now: Date = new Date(),
): string {
  const line: LogFields = { ts: now.toISOString(), level, logger: name, msg };
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined && !Object.hasOwn(line, k)) line[k] = plain(v);
  }
  // The replacer reaches nested values too: a bigint there would throw, an Error print {}.
  return JSON.stringify(line, (_k, v) => plain(v));
}

/** Creates a structured logger. See the module example. */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? "info";
  const write = options.write ?? writeStderr;
  const base = options.fields ?? {};
  const at = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (RANK[lvl] < RANK[level]) return;
    write(formatLogLine(lvl, options.name, msg, { ...base, ...fields }));
  };
  return {
    level,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
    withLevel: (lvl) => createLogger({ ...options, level: lvl }),
  };
}

/** A logger that writes nothing, for library callers that pass none. */
export const silentLogger: Logger = createLogger({
  name: "silent",
  level: "error",
  write: () => {},
});
