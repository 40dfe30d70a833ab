/**
 * Typed configuration for every script: each setting is a flag and,
 * optionally, an environment variable, declared once in a spec. Parsing is
 * pure (arguments and environment go in, a typed object or a
 * {@linkcode ConfigError} naming the bad flag comes out); `--help` is
 * generated from the same spec, so it always lists every flag.
 *
 * Flags win over environment variables, which win over defaults.
 *
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * const config = defineConfig({
 *   name: "inventory_orders_producer",
 *   summary: "Routes inventory orders.",
 *   flags: {
 *     brokers: { type: "list", env: "KAFKA_BROKERS", default: ["127.0.0.1:9092"], description: "Kafka bootstrap servers" },
 *     batchSize: { type: "number", integer: true, min: 1, default: 500, description: "orders per transaction" },
 *   },
 * });
 * const cfg = config.parse(["--batch-size", "100"], () => undefined);
 * cfg.batchSize; // 100, typed as number
 * ```
 * @module
 */
import { parseArgs } from "node:util";

interface FlagBase {
  /** One line for `--help`. */
  description: string;
  /** The environment variable that sets it when the flag is absent. */
  env?: string;
  /** A short alias, e.g. "n" for -n. */
  short?: string;
  /**
   * The names it had before a rename, still accepted: `flag` a camelCase
   * key (`batchSize` for --batch-size), `env` a variable read after `env`.
   */
  formerly?: { flag?: string; env?: string };
}
export interface StringFlag extends FlagBase {
  type: "string";
  default?: string;
  required?: boolean;
  /** Shown in help instead of the value, e.g. for passwords. */
  secret?: boolean;
}
export interface NumberFlag extends FlagBase {
  type: "number";
  default?: number;
  required?: boolean;
  integer?: boolean;
  min?: number;
  max?: number;
}
export interface BooleanFlag extends FlagBase {
  type: "boolean";
  default?: boolean;
}
/** A comma-separated list; the flag may also be repeated. */
export interface ListFlag extends FlagBase {
  type: "list";
  default?: readonly string[];
  required?: boolean;
}
export interface EnumFlag<C extends string = string> extends FlagBase {
  type: "enum";
  choices: readonly C[];
  default?: C;
  required?: boolean;
}
export type FlagSpec = StringFlag | NumberFlag | BooleanFlag | ListFlag | EnumFlag;
export type FlagSpecs = Record<string, FlagSpec>;

type Known<F> = F extends { default: unknown } ? true : F extends { required: true } ? true
: false;
type Base<F> = F extends { type: "string" } ? string
  : F extends { type: "number" } ? number
  : F extends { type: "boolean" } ? boolean
  : F extends { type: "list" } ? string[]
  : F extends { type: "enum"; choices: readonly (infer C)[] } ? C
  : never;
/** The typed value of one flag: optional unless it has a default or is required. */
export type FlagValue<F> = F extends { type: "boolean" } ? boolean
  : Known<F> extends true ? Base<F>
  : Base<F> | undefined;
/** The typed configuration object a spec produces. */
export type ConfigOf<S extends FlagSpecs> = { -readonly [K in keyof S]: FlagValue<S[K]> };

/** A bad flag or environment variable; `flag` says which. */
export class ConfigError extends Error {
  constructor(readonly flag: string, message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** camelCase key → kebab-case flag: `transactionSize` → `transaction-size`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

function where(key: string, spec: FlagSpec, fromEnv: boolean): string {
  return fromEnv && spec.env ? `${spec.env} (--${flagName(key)})` : `--${flagName(key)}`;
}

function convert(key: string, spec: FlagSpec, raw: string | string[], fromEnv: boolean): unknown {
  const name = where(key, spec, fromEnv);
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  switch (spec.type) {
    case "string":
      return last;
    case "boolean": {
      const v = last.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off", ""].includes(v)) return false;
      throw new ConfigError(key, `${name} must be true or false, got "${last}"`);
    }
    case "number": {
      const n = Number(last);
      if (last.trim() === "" || !Number.isFinite(n)) {
        throw new ConfigError(key, `${name} must be a number, got "${last}"`);
      }
      if (spec.integer && !Number.isInteger(n)) {
        throw new ConfigError(key, `${name} must be a whole number, got "${last}"`);
      }
      if (spec.min !== undefined && n < spec.min) {
        throw new ConfigError(key, `${name} must be at least ${spec.min}, got ${n}`);
      }
      if (spec.max !== undefined && n > spec.max) {
        throw new ConfigError(key, `${name} must be at most ${spec.max}, got ${n}`);
      }
      return n;
    }
    case "list": {
      const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((s) => s.split(","));
      return parts.map((s) => s.trim()).filter((s) => s !== "");
    }
    case "enum": {
      if (!spec.choices.includes(last)) {
        throw new ConfigError(
          key,
          `${name} must be one of ${spec.choices.join(", ")}, got "${last}"`,
        );
      }
      return last;
    }
  }
}

/**
 * Parses arguments and environment against a spec. Pure: `env` is a lookup
 * function, so tests pass a map and scripts pass `Deno.env.get`.
 * Throws {@linkcode ConfigError} for an unknown flag or a bad value.
 */
export function parseConfig<S extends FlagSpecs>(
  specs: S,
  args: readonly string[],
  env: (name: string) => string | undefined,
): ConfigOf<S> {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  const byFlag = new Map<string, string>();
  for (const [key, spec] of Object.entries(specs)) {
    const flag = flagName(key);
    byFlag.set(flag, key);
    // node:util rejects keys whose value is undefined, so add only what is set.
    options[flag] = { type: spec.type === "boolean" ? "boolean" : "string" };
    if (spec.type === "list") options[flag].multiple = true;
    if (spec.short) options[flag].short = spec.short;
    if (spec.type === "boolean") options[`no-${flag}`] = { type: "boolean" };
    if (spec.formerly?.flag) {
      const old = flagName(spec.formerly.flag);
      byFlag.set(old, key);
      options[old] = { type: options[flag].type, multiple: options[flag].multiple };
      if (options[old].multiple === undefined) delete options[old].multiple;
    }
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    // "Option '-n, --name <value>' …": name the long flag, by its key when known.
    const named = /'(?:-\w, )?(--?[\w-]+)/.exec(msg)?.[1] ?? "?";
    const key = named.startsWith("--") ? byFlag.get(named.slice(2)) : undefined;
    throw new ConfigError(key ?? named, `${msg.replace(/\. To specify.*$/s, "")}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const flag = flagName(key);
    const given = values[flag] ??
      (spec.formerly?.flag ? values[flagName(spec.formerly.flag)] : undefined);
    const fromEnv = [spec.env, spec.formerly?.env].find((name) => name && env(name) !== undefined);
    let value: unknown;
    if (spec.type === "boolean" && values[`no-${flag}`] === true) value = false;
    else if (given !== undefined) {
      value = spec.type === "boolean"
        ? given
        : convert(key, spec, given as string | string[], false);
    } else if (fromEnv !== undefined) {
      value = convert(key, spec, env(fromEnv) as string, true);
    } else if (spec.default !== undefined) {
      value = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    } else if (spec.type === "boolean") value = false;
    if (value === undefined && "required" in spec && spec.required) {
      throw new ConfigError(
        key,
        `--${flag}${spec.env ? ` (or ${spec.env})` : ""} is required: ${spec.description}`,
      );
    }
    out[key] = value;
  }
  return out as ConfigOf<S>;
}

function showDefault(spec: FlagSpec): string {
  if (spec.type === "string" && spec.secret) return "";
  if (spec.default === undefined) return "";
  const d = Array.isArray(spec.default) ? spec.default.join(",") : String(spec.default);
  return d === "" ? "" : ` [default: ${d}]`;
}

/** The `--help` text for a spec: every flag, its env var, default and choices. */
export function helpText(
  meta: { name: string; summary: string; usage?: string },
  specs: FlagSpecs,
): string {
  const rows = Object.entries(specs).map(([key, spec]) => {
    const flag = `--${flagName(key)}` + (spec.type === "boolean" ? "" : ` <${spec.type}>`) +
      (spec.short ? `, -${spec.short}` : "");
    const choices = spec.type === "enum" ? ` (${spec.choices.join("|")})` : "";
    const env = spec.env ? `  env ${spec.env}` : "";
    const was = spec.formerly
      ? ` (formerly ${
        [
          spec.formerly.flag && `--${flagName(spec.formerly.flag)}`,
          spec.formerly.env,
        ].filter(Boolean).join(", ")
      })`
      : "";
    const req = "required" in spec && spec.required ? " (required)" : "";
    return { flag, text: `${spec.description}${choices}${req}${showDefault(spec)}${env}${was}` };
  });
  rows.push({ flag: "--help, -h", text: "show this help and exit" });
  const width = Math.max(...rows.map((r) => r.flag.length)) + 2;
  return [
    `${meta.name}: ${meta.summary}`,
    "",
    `Usage: ${meta.usage ?? meta.name + " [flags]"}`,
    "",
    "Flags (a flag wins over its environment variable):",
    ...rows.map((r) => `  ${r.flag.padEnd(width)}${r.text}`),
    "",
  ].join("\n");
}

/** Reads an environment variable, treating one the permissions hide as unset. */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** A script's configuration: its spec, a pure parser and a loader for `main`. */
export interface ConfigDefinition<S extends FlagSpecs> {
  readonly specs: S;
  readonly help: string;
  parse(args: readonly string[], env?: (name: string) => string | undefined): ConfigOf<S>;
  /**
   * For a script's entry: prints help and exits 0 on `--help`; prints the
   * error and exits 2 on a bad flag; otherwise returns the typed config.
   */
  load(args?: readonly string[]): ConfigOf<S>;
  /**
   * For checks after parsing (e.g. building a Kafka connection from the
   * flags): returns `check()`'s value, or on a {@linkcode ConfigError}
   * prints it the way `load` does and exits 2.
   */
  orExit<T>(check: () => T): T;
}

/** Declares a script's configuration. See the module example. */
export function defineConfig<S extends FlagSpecs>(
  meta: { name: string; summary: string; usage?: string; flags: S },
): ConfigDefinition<S> {
  const help = helpText(meta, meta.flags);
  return {
    specs: meta.flags,
    help,
    parse: (args, env = readEnv) => parseConfig(meta.flags, args, env),
    load(args = Deno.args) {
      if (args.includes("--help") || args.includes("-h")) {
        console.log(help);
        Deno.exit(0);
      }
      return this.orExit(() => parseConfig(meta.flags, args, readEnv));
    },
    orExit(check) {
      try {
        return check();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(`${meta.name}: ${err.message}\nRun with --help to see every flag.`);
        Deno.exit(2);
      }
    },
  };
}
