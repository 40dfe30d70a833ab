/**
 * The replayer's command line: a command first (`list`, `show
 * <partition>/<offset>`, `replay`), then flags. `node:util` parseArgs
 * (under shared/platform/config.ts) takes flags only, so the command and `show`'s
 * record are taken off the front here; flags that belong to another
 * command are refused rather than silently ignored.
 *
 * @example
 * ```ts
 * import { splitCommandLine } from "./command_line.ts";
 * splitCommandLine(["show", "0/12", "--topic", "orders-dlq"]);
 * // { command: "show", ref: { partition: 0, offset: "12" }, flags: ["--topic", "orders-dlq"] }
 * ```
 * @module
 */
import { ConfigError } from "../platform/config.ts";
import { parseRecordRef, type RecordRef } from "./entry.ts";

export const COMMANDS = ["list", "show", "replay"] as const;
export type Command = typeof COMMANDS[number];

/** A command line split into its command, `show`'s record and the flags. */
export interface CommandLine {
  command: Command;
  ref?: RecordRef;
  flags: string[];
}

const USAGE = "say what to do: list, show <partition>/<offset>, or replay with a selection";

/** Splits `args`; throws a {@linkcode ConfigError} for a missing or unknown command. Pure. */
export function splitCommandLine(args: readonly string[]): CommandLine {
  const [first, ...rest] = args;
  if (first === undefined || first.startsWith("-")) throw new ConfigError("command", USAGE);
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new ConfigError("command", `unknown command "${first}": ${USAGE}`);
  }
  const command = first as Command;
  if (command !== "show") return { command, flags: rest };
  const [refText, ...flags] = rest;
  if (refText === undefined || refText.startsWith("-")) {
    throw new ConfigError(
      "command",
      "show needs a record: show <partition>/<offset>, e.g. show 0/42",
    );
  }
  const ref = parseRecordRef(refText);
  if (!ref) {
    throw new ConfigError(
      "command",
      `show: "${refText}" is not <partition>/<offset> (or <topic>/<partition>/<offset>)`,
    );
  }
  return { command, ref, flags };
}

/** The flags only `replay` takes, by config key. */
export const REPLAY_ONLY = [
  "all",
  "rule",
  "reason",
  "orderId",
  "since",
  "until",
  "dryRun",
  "force",
  "rate",
  "transactionSize",
  // --transaction-size's former name, still accepted.
  "batchSize",
] as const;

/**
 * Refuses a replay-only flag given to `list` or `show` (a `list --reason x`
 * that lists everything would mislead). `given` says which keys were set
 * on the command line. Pure.
 */
export function checkFlagsFor(command: Command, given: ReadonlySet<string>): void {
  if (command === "replay") return;
  for (const key of REPLAY_ONLY) {
    if (given.has(key)) {
      const flag = key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
      throw new ConfigError(key, `--${flag} is for replay, not ${command}`);
    }
  }
}

/** The config keys named on the command line (`--dry-run`, `--no-dry-run`, `--rate=5`). */
export function flagsGiven(flags: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const f of flags) {
    const m = /^--(?:no-)?([a-z][a-z0-9-]*)/.exec(f);
    if (m) keys.add(m[1].replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
  }
  return keys;
}
