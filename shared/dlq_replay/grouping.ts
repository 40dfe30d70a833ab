/**
 * What `list` and the dashboard show: a DLQ's records grouped by the rule
 * their `dlq.reason` names, field and rule without the values
 * (./failure_rule.ts), each group with its count, a few distinct sample
 * values, how many of them were already replayed, the oldest and newest
 * `dlq.failed.at`, whether all of them failed validation, and the stages,
 * error classes and replay topics seen in it. Largest groups first.
 *
 * @example
 * ```ts
 * import { groupByRule } from "./grouping.ts";
 * import type { DlqEntry } from "./entry.ts";
 * const entry = (offset: string, reason: string, failedAt: string): DlqEntry => ({
 *   partition: 0, offset, key: null, value: null, headers: {}, timestamp: "0",
 *   dlq: { reason, failedAt, stage: "router", errorClass: "validation", originalTopic: "orders" },
 * });
 * const groups = groupByRule([
 *   entry("0", "items[0].quantity: must be a positive whole number, got 0", "2026-01-02T00:00:00Z"),
 *   entry("1", "items[2].quantity: must be a positive whole number, got -1", "2026-01-01T00:00:00Z"),
 * ], new Set(["0/1"]));
 * groups[0];
 * // { rule: "items[].quantity: must be a positive whole number", count: 2, replayed: 1,
 * //   samples: ["-1", "0"], allValidation: true, oldest: "2026-01-01T00:00:00.000Z", ... }
 * ```
 * @module
 */
import { type DlqEntry, failedAtOf, ledgerKey, replayTopicOf } from "./entry.ts";
import { VALIDATION_CLASS } from "../retry/dead_letter.ts";
import { ruleKey, sampleOf } from "./failure_rule.ts";

/** The reason a record without a `dlq.reason` header is grouped under. */
export const NO_REASON = "(no dlq.reason header)";

/** Distinct values a group shows at most. */
export const SAMPLE_VALUES = 3;

/** The group key of a DLQ record: the rule its reason names ({@linkcode ruleKey}). Pure. */
export function groupOf(entry: DlqEntry): string {
  const reason = entry.dlq.reason;
  return reason === undefined || reason.trim() === "" ? NO_REASON : ruleKey(reason);
}

/** One line of `list`: the records that broke one rule. */
export interface RuleGroup {
  /** The field and the rule, values left out: `items[].quantity: must be a positive whole number`. */
  rule: string;
  count: number;
  /** How many of them the ledger says were replayed already. */
  replayed: number;
  /** Earliest and latest `dlq.failed.at` (ISO); absent when no record has a time. */
  oldest?: string;
  newest?: string;
  /** Up to {@linkcode SAMPLE_VALUES} distinct values the reasons named, sorted. */
  samples: string[];
  /** How many distinct values the reasons named in all. */
  distinctValues: number;
  /**
   * Whether every record of the group failed validation: replayed as it
   * is, each would be dead-lettered again.
   */
  allValidation: boolean;
  /** Distinct values seen in the group, sorted. */
  stages: string[];
  errorClasses: string[];
  replayTopics: string[];
}

/** The whole listing: totals and the groups. */
export interface DlqListing {
  total: number;
  replayed: number;
  groups: RuleGroup[];
}

/**
 * Groups `entries` by the rule their reason names ({@linkcode groupOf}).
 * `replayed` holds the ledger keys (`<partition>/<offset>`) of records
 * already replayed. Largest groups first. Pure.
 */
export function groupByRule(
  entries: Iterable<DlqEntry>,
  replayed: ReadonlySet<string>,
): RuleGroup[] {
  const groups = new Map<string, {
    count: number;
    replayed: number;
    validation: number;
    oldest?: Date;
    newest?: Date;
    values: Set<string>;
    stages: Set<string>;
    errorClasses: Set<string>;
    replayTopics: Set<string>;
  }>();
  for (const entry of entries) {
    const rule = groupOf(entry);
    let g = groups.get(rule);
    if (!g) {
      g = {
        count: 0,
        replayed: 0,
        validation: 0,
        values: new Set(),
        stages: new Set(),
        errorClasses: new Set(),
        replayTopics: new Set(),
      };
      groups.set(rule, g);
    }
    g.count++;
    if (replayed.has(ledgerKey(entry.partition, entry.offset))) g.replayed++;
    if (entry.dlq.errorClass === VALIDATION_CLASS) g.validation++;
    const sample = entry.dlq.reason === undefined ? undefined : sampleOf(entry.dlq.reason);
    if (sample !== undefined) g.values.add(sample);
    const at = failedAtOf(entry);
    if (at) {
      if (!g.oldest || at < g.oldest) g.oldest = at;
      if (!g.newest || at > g.newest) g.newest = at;
    }
    if (entry.dlq.stage) g.stages.add(entry.dlq.stage);
    if (entry.dlq.errorClass) g.errorClasses.add(entry.dlq.errorClass);
    const to = replayTopicOf(entry);
    if (to) g.replayTopics.add(to);
  }
  return [...groups.entries()]
    .map(([rule, g]) => ({
      rule,
      count: g.count,
      replayed: g.replayed,
      ...(g.oldest ? { oldest: g.oldest.toISOString() } : {}),
      ...(g.newest ? { newest: g.newest.toISOString() } : {}),
      samples: [...g.values].sort().slice(0, SAMPLE_VALUES),
      distinctValues: g.values.size,
      allValidation: g.validation === g.count,
      stages: [...g.stages].sort(),
      errorClasses: [...g.errorClasses].sort(),
      replayTopics: [...g.replayTopics].sort(),
    }))
    .sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

/** The listing of `entries`: totals and {@linkcode groupByRule}. Pure. */
export function listDlq(entries: readonly DlqEntry[], replayed: ReadonlySet<string>): DlqListing {
  const groups = groupByRule(entries, replayed);
  return {
    total: entries.length,
    replayed: groups.reduce((n, g) => n + g.replayed, 0),
    groups,
  };
}

/** Longest rule shown in the table; `--json` always has the whole text. */
export const TABLE_RULE_WIDTH = 100;
/** Longest sample value shown in the table. */
export const TABLE_SAMPLE_WIDTH = 24;

/**
 * The listing as a text table for a terminal: one row per rule, its
 * sample values after it. Pure.
 *
 * @example
 * ```ts
 * import { renderListing } from "./grouping.ts";
 * renderListing("orders-dlq", { total: 0, replayed: 0, groups: [] }); // "orders-dlq: empty\n"
 * ```
 */
export function renderListing(dlqTopic: string, listing: DlqListing): string {
  if (listing.total === 0) return `${dlqTopic}: empty\n`;
  const n = listing.groups.length;
  const head = `${dlqTopic}: ${listing.total} record${listing.total === 1 ? "" : "s"}, ` +
    `${n} rule${n === 1 ? "" : "s"}, ${listing.replayed} already replayed`;
  const rows = [
    [
      "COUNT",
      "REPLAYED",
      "OLDEST",
      "NEWEST",
      "STAGE",
      "CLASS",
      "REPLAY TO",
      "RULE  (SAMPLE VALUES)",
    ],
    ...listing.groups.map((g) => [
      String(g.count),
      String(g.replayed),
      g.oldest ?? "-",
      g.newest ?? "-",
      g.stages.join(",") || "-",
      g.errorClasses.join(",") || "-",
      g.replayTopics.join(",") || "-",
      oneLine(g.rule, TABLE_RULE_WIDTH) + samplesText(g),
    ]),
  ];
  const widths = rows[0].slice(0, -1).map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r.map((cell, i) =>
      i === r.length - 1 ? cell : i < 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])
    ).join("  ")
  );
  return [head, "", ...lines, ""].join("\n");
}

/** `  (-1, 0, 2.5, … 7 values)`, or nothing for a rule that names no values. */
function samplesText(g: RuleGroup): string {
  if (g.samples.length === 0) return "";
  const shown = g.samples.map((s) => oneLine(s, TABLE_SAMPLE_WIDTH));
  const more = g.distinctValues > shown.length ? `, … ${g.distinctValues} values` : "";
  return `  (${shown.join(", ")}${more})`;
}

function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > width ? flat.slice(0, width - 1) + "…" : flat;
}
