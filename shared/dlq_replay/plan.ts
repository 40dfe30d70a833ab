/**
 * What a replay will do, decided before anything is sent: of a DLQ's
 * records, those the selection takes (shared/dlq_replay/selection.ts),
 * minus those the ledger says were replayed already and those that name no
 * topic to go back to, in partition and offset order. The one planner of
 * the command-line replayer and the dashboard; they differ only in the
 * selection they pass. Pure.
 *
 * @example
 * ```ts
 * import { planReplay } from "./plan.ts";
 * import { groupSelection } from "./selection.ts";
 * const plan = planReplay([], new Set(), groupSelection("not JSON"));
 * plan.pending.length; // 0
 * ```
 * @module
 */
import { type DlqEntry, failedAtOf, keyText, ledgerKey, replayOf, replayTopicOf } from "./entry.ts";
import { VALIDATION_CLASS } from "../retry/dead_letter.ts";
import { groupOf } from "./grouping.ts";
import { matchesSelection, type Selection } from "./selection.ts";

/** What a replay of a selection will do. */
export interface ReplayPlan {
  /** Records the selection takes, in all. */
  matched: number;
  alreadyReplayed: number;
  /** Selected records with no `dlq.replay.topic` or `dlq.original.topic`: skipped. */
  unroutable: DlqEntry[];
  /** To replay, in partition and offset order. */
  pending: DlqEntry[];
}

/** Orders DLQ records by partition, then offset (offsets compared as numbers). */
export function byPlace(a: DlqEntry, b: DlqEntry): number {
  return a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));
}

/**
 * Plans the replay of `selection` from `entries`. `replayed` holds the
 * ledger keys (`<partition>/<offset>`) already replayed; `decoded` the
 * values the caller decoded (Avro through the registry) for a selection
 * that looks into values. Pure.
 */
export function planReplay(
  entries: readonly DlqEntry[],
  replayed: ReadonlySet<string>,
  selection: Selection,
  decoded?: ReadonlyMap<DlqEntry, unknown>,
): ReplayPlan {
  const plan: ReplayPlan = { matched: 0, alreadyReplayed: 0, unroutable: [], pending: [] };
  for (const entry of [...entries].sort(byPlace)) {
    if (!matchesSelection(entry, selection, decoded?.get(entry))) continue;
    plan.matched++;
    if (replayed.has(ledgerKey(entry.partition, entry.offset))) plan.alreadyReplayed++;
    else if (!replayTopicOf(entry)) plan.unroutable.push(entry);
    else plan.pending.push(entry);
  }
  return plan;
}

/** Records per destination topic, for a replay's summary. Pure. */
export function countByDestination(entries: readonly DlqEntry[]): Record<string, number> {
  const to: Record<string, number> = {};
  for (const entry of entries) {
    const topic = replayTopicOf(entry);
    if (topic) to[topic] = (to[topic] ?? 0) + 1;
  }
  return to;
}

/** Rules a {@linkcode validationWarning} names at most. */
const WARNING_RULES = 2;

/**
 * The one-line warning that every record of `pending` failed validation,
 * so replaying them unchanged would only dead-letter them again; undefined
 * when one at least failed otherwise (or there are none). Pure.
 *
 * @example
 * ```ts
 * import { validationWarning } from "./plan.ts";
 * const entry = {
 *   partition: 0, offset: "3", key: null, value: null, headers: {}, timestamp: "0",
 *   dlq: { reason: "items[0].quantity: must be a positive whole number, got 0", errorClass: "validation" },
 * };
 * validationWarning([entry]);
 * // "the 1 record to replay failed validation (items[].quantity: must be a positive whole number): ..."
 * ```
 */
export function validationWarning(pending: readonly DlqEntry[]): string | undefined {
  if (pending.length === 0) return undefined;
  if (!pending.every((e) => e.dlq.errorClass === VALIDATION_CLASS)) return undefined;
  const rules = [...new Set(pending.map(groupOf))];
  const named = rules.slice(0, WARNING_RULES).join(" | ") +
    (rules.length > WARNING_RULES ? ` | ${rules.length - WARNING_RULES} more rules` : "");
  const n = pending.length;
  return `${
    n === 1 ? "the 1 record" : `all ${n} records`
  } to replay failed validation (${named}): ` +
    `replayed unchanged, ${n === 1 ? "it" : "they"} would be dead-lettered again`;
}

/**
 * The line a dry run prints for a planned record. Pure.
 *
 * @example
 * ```ts
 * import { dryRunLine } from "./plan.ts";
 * const entry = {
 *   partition: 0, offset: "3", key: null, value: null, headers: {}, timestamp: "0",
 *   dlq: { reason: "not JSON", originalTopic: "orders" },
 * };
 * dryRunLine("orders-dlq", entry);
 * // 'would replay orders-dlq/0/3 -> orders  key=(null)  failed=-  reason="not JSON"'
 * ```
 */
export function dryRunLine(dlqTopic: string, entry: DlqEntry): string {
  return [
    `would replay ${replayOf(dlqTopic, entry.partition, entry.offset)} -> ${replayTopicOf(entry)}`,
    `key=${keyText(entry) ?? "(null)"}`,
    `failed=${failedAtOf(entry)?.toISOString() ?? "-"}`,
    `reason=${JSON.stringify(entry.dlq.reason ?? "")}`,
  ].join("  ");
}
