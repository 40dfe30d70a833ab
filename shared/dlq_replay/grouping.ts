/**
 * What `list` shows: a DLQ's records grouped by their exact `dlq.reason`,
 * each group with its count, how many of them were already replayed, the
 * oldest and newest `dlq.failed.at`, and the stages, error classes and
 * replay topics seen in it. Largest groups first.
 *
 * @example
 * ```ts
 * import { groupByReason } from "./grouping.ts";
 * import type { DlqEntry } from "./entry.ts";
 * const entry = (offset: string, reason: string, failedAt: string): DlqEntry => ({
 *   partition: 0, offset, key: null, value: null, headers: {}, timestamp: "0",
 *   dlq: { reason, failedAt, stage: "router", errorClass: "validation", originalTopic: "orders" },
 * });
 * const groups = groupByReason(
 *   [entry("0", "bad", "2026-01-02T00:00:00Z"), entry("1", "bad", "2026-01-01T00:00:00Z")],
 *   new Set(["0/1"]),
 * );
 * groups[0]; // { reason: "bad", count: 2, replayed: 1, oldest: "2026-01-01T00:00:00.000Z", ... }
 * ```
 * @module
 */
import { type DlqEntry, failedAtOf, ledgerKey, replayTopicOf } from "./entry.ts";

/** The reason a record without a `dlq.reason` header is grouped under. */
export const NO_REASON = "(no dlq.reason header)";

/** One line of `list`. */
export interface ReasonGroup {
  reason: string;
  count: number;
  /** How many of them the ledger says were replayed already. */
  replayed: number;
  /** Earliest and latest `dlq.failed.at` (ISO); absent when no record has a time. */
  oldest?: string;
  newest?: string;
  /** Distinct values seen in the group, sorted. */
  stages: string[];
  errorClasses: string[];
  replayTopics: string[];
}

/** The whole listing: totals and the groups. */
export interface DlqListing {
  total: number;
  replayed: number;
  groups: ReasonGroup[];
}

/**
 * Groups `entries` by exact reason. `replayed` holds the ledger keys
 * (`<partition>/<offset>`) of records already replayed. Pure.
 */
export function groupByReason(
  entries: Iterable<DlqEntry>,
  replayed: ReadonlySet<string>,
): ReasonGroup[] {
  const groups = new Map<string, {
    count: number;
    replayed: number;
    oldest?: Date;
    newest?: Date;
    stages: Set<string>;
    errorClasses: Set<string>;
    replayTopics: Set<string>;
  }>();
  for (const entry of entries) {
    const reason = entry.dlq.reason ?? NO_REASON;
    let g = groups.get(reason);
    if (!g) {
      g = {
        count: 0,
        replayed: 0,
        stages: new Set(),
        errorClasses: new Set(),
        replayTopics: new Set(),
      };
      groups.set(reason, g);
    }
    g.count++;
    if (replayed.has(ledgerKey(entry.partition, entry.offset))) g.replayed++;
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
    .map(([reason, g]) => ({
      reason,
      count: g.count,
      replayed: g.replayed,
      ...(g.oldest ? { oldest: g.oldest.toISOString() } : {}),
      ...(g.newest ? { newest: g.newest.toISOString() } : {}),
      stages: [...g.stages].sort(),
      errorClasses: [...g.errorClasses].sort(),
      replayTopics: [...g.replayTopics].sort(),
    }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/** The listing of `entries`: totals and {@linkcode groupByReason}. Pure. */
export function listDlq(entries: readonly DlqEntry[], replayed: ReadonlySet<string>): DlqListing {
  const groups = groupByReason(entries, replayed);
  return {
    total: entries.length,
    replayed: groups.reduce((n, g) => n + g.replayed, 0),
    groups,
  };
}

/** Longest reason shown in the table; `--json` always has the whole text. */
export const TABLE_REASON_WIDTH = 100;

/**
 * The listing as a text table for a terminal. Pure.
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
    `${n} reason${n === 1 ? "" : "s"}, ${listing.replayed} already replayed`;
  const rows = [
    ["COUNT", "REPLAYED", "OLDEST", "NEWEST", "STAGE", "CLASS", "REPLAY TO", "REASON"],
    ...listing.groups.map((g) => [
      String(g.count),
      String(g.replayed),
      g.oldest ?? "-",
      g.newest ?? "-",
      g.stages.join(",") || "-",
      g.errorClasses.join(",") || "-",
      g.replayTopics.join(",") || "-",
      oneLine(g.reason),
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

function oneLine(reason: string): string {
  const flat = reason.replace(/\s+/g, " ");
  return flat.length > TABLE_REASON_WIDTH ? flat.slice(0, TABLE_REASON_WIDTH - 1) + "…" : flat;
}
