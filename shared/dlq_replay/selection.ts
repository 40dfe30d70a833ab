/**
 * Which DLQ records a `replay` takes. A selection is `--all`, or any
 * combination of the narrowing flags (all of them must match):
 *
 * - `--rule <rule>`: the records of one group of `list`, its rule exactly
 *   as `list` prints it (`items[].quantity: must be a positive whole number`);
 * - `--reason <text>`: `dlq.reason` contains the text, ignoring case (a
 *   substring, so a prefix copied from `list`'s shortened column works);
 * - `--order-id <id>`: `dlq.original.key` (or the record's key) is the id,
 *   or the value (JSON, or Avro decoded through the registry) has
 *   `orderId` equal to it;
 * - `--since <ISO>` (inclusive) and `--until <ISO>` (exclusive), on
 *   `dlq.failed.at`.
 *
 * No selection at all is refused: replaying a whole DLQ must be asked for.
 *
 * The dashboard replays one row of the listing the same way: `rule`, the
 * group's key to the letter (a substring could take a neighbouring group too).
 *
 * @example
 * ```ts
 * import { matchesSelection, selectionFrom } from "./selection.ts";
 * const sel = selectionFrom({ reason: "not json" });
 * matchesSelection(
 *   { partition: 0, offset: "1", key: null, value: null, headers: {}, timestamp: "0", dlq: { reason: "not JSON" } },
 *   sel,
 * ); // true
 * ```
 * @module
 */
import { ConfigError } from "../platform/config.ts";
import { type DlqEntry, failedAtOf, keyText } from "./entry.ts";
import { groupOf } from "./grouping.ts";

/** A parsed selection; see the module doc. */
export interface Selection {
  all: boolean;
  reason?: string;
  /** The listing's group of this rule (records without a reason: grouping.ts `NO_REASON`). */
  rule?: string;
  orderId?: string;
  since?: Date;
  until?: Date;
}

/** The selection flags as `replay` parses them. */
export interface SelectionFlags {
  all?: boolean;
  rule?: string;
  reason?: string;
  orderId?: string;
  since?: string;
  until?: string;
}

/** The one-line refusal of a replay without a selection. */
export const NO_SELECTION =
  "replay needs a selection: --all, or --rule, --reason, --order-id, --since, --until (see --help)";

function isoFlag(flag: "since" | "until", text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  // Date.parse takes many forms; insist on an ISO date so nothing is guessed.
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  const at = new Date(text);
  if (!iso.test(text.trim()) || Number.isNaN(at.getTime())) {
    throw new ConfigError(
      flag,
      `--${flag} must be an ISO time such as 2026-01-31T12:00:00Z, got "${text}"`,
    );
  }
  return at;
}

/**
 * Builds a selection from the flags; throws a {@linkcode ConfigError}
 * naming the flag for a bad time, for `--all` with another selection, and
 * ({@linkcode NO_SELECTION}) for none at all. Pure.
 */
export function selectionFrom(flags: SelectionFlags): Selection {
  const since = isoFlag("since", flags.since);
  const until = isoFlag("until", flags.until);
  if (since && until && since >= until) {
    throw new ConfigError("until", "--until must be later than --since");
  }
  if (flags.reason !== undefined && flags.reason.trim() === "") {
    throw new ConfigError("reason", "--reason must not be empty");
  }
  if (flags.rule !== undefined && flags.rule.trim() === "") {
    throw new ConfigError("rule", "--rule must be a rule as list prints it");
  }
  if (flags.orderId !== undefined && flags.orderId.trim() === "") {
    throw new ConfigError("orderId", "--order-id must not be empty");
  }
  const narrowing = flags.rule !== undefined || flags.reason !== undefined ||
    flags.orderId !== undefined || since || until;
  if (flags.all && narrowing) {
    throw new ConfigError(
      "all",
      "--all selects every record; leave it out to narrow with --rule, --reason, --order-id, --since, --until",
    );
  }
  if (!flags.all && !narrowing) throw new ConfigError("all", NO_SELECTION);
  const sel: Selection = { all: !!flags.all };
  if (flags.rule !== undefined) sel.rule = flags.rule.trim();
  if (flags.reason !== undefined) sel.reason = flags.reason;
  if (flags.orderId !== undefined) sel.orderId = flags.orderId.trim();
  if (since) sel.since = since;
  if (until) sel.until = until;
  return sel;
}

/** The selection of the listing's group of `rule`, as the dashboard replays it. Pure. */
export function groupSelection(rule: string): Selection {
  return { all: false, rule };
}

/** The selection in words, for logs and the summary. */
export function describeSelection(sel: Selection): Record<string, string | boolean> {
  if (sel.all) return { all: true };
  const out: Record<string, string> = {};
  if (sel.reason !== undefined) out.reason = sel.reason;
  if (sel.rule !== undefined) out.rule = sel.rule;
  if (sel.orderId !== undefined) out.orderId = sel.orderId;
  if (sel.since) out.since = sel.since.toISOString();
  if (sel.until) out.until = sel.until.toISOString();
  return out;
}

/** The value parsed as JSON, or undefined when it is not JSON text. */
export function jsonValueOf(value: Uint8Array | null): unknown {
  if (!value || value.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(value));
  } catch {
    return undefined;
  }
}

/** Whether matching `sel` needs the decoded value (only `--order-id` does). */
export function needsDecodedValue(sel: Selection): boolean {
  return sel.orderId !== undefined;
}

/**
 * Whether `entry` is selected. `decoded` is its value decoded (JSON, or
 * Avro through the registry), when known; without it a JSON value is
 * parsed here. Pure.
 */
export function matchesSelection(entry: DlqEntry, sel: Selection, decoded?: unknown): boolean {
  if (sel.all) return true;
  if (sel.reason !== undefined) {
    const reason = entry.dlq.reason ?? "";
    if (!reason.toLowerCase().includes(sel.reason.toLowerCase())) return false;
  }
  if (sel.rule !== undefined && groupOf(entry) !== sel.rule) return false;
  if (sel.orderId !== undefined) {
    const value = decoded ?? jsonValueOf(entry.value);
    const fromValue = value && typeof value === "object"
      ? (value as Record<string, unknown>).orderId
      : undefined;
    const ids = [entry.dlq.originalKey, keyText(entry), fromValue];
    if (!ids.some((id) => id !== undefined && String(id) === sel.orderId)) return false;
  }
  if (sel.since || sel.until) {
    const at = failedAtOf(entry);
    if (!at) return false;
    if (sel.since && at < sel.since) return false;
    if (sel.until && at >= sel.until) return false;
  }
  return true;
}
