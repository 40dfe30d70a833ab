/**
 * The DLQ panel's logic: a dead-letter topic's listing by the rule its
 * records broke (the replayer's own grouping, shared/dlq_replay/grouping.ts)
 * as the panel shows it, and the page's request to replay one rule checked.
 * What such a replay takes is the replayer's plan of that group
 * (`groupSelection` in shared/dlq_replay/selection.ts); a group that all
 * failed validation goes only with `force`, once the user confirmed. Pure.
 *
 * @example
 * ```ts
 * import { parseReplayRequest } from "./dlq_panel.ts";
 * parseReplayRequest({ topic: "orders-dlq", rule: "not JSON" }, ["orders-dlq"]);
 * // { topic: "orders-dlq", rule: "not JSON", force: false }
 * ```
 * @module
 */
import type { DlqListing, RuleGroup } from "../dlq_replay/grouping.ts";
import { ledgerTopicName } from "../dlq_replay/ledger.ts";

/** One rule of the panel: the replayer's group and what is left to replay. */
export interface RuleRow extends RuleGroup {
  pending: number;
}

/** One dead-letter topic as the panel shows it. */
export interface DlqTopicView {
  topic: string;
  ledgerTopic: string;
  /** False while the topic does not exist (nothing was ever dead-lettered there). */
  exists: boolean;
  total: number;
  replayed: number;
  groups: RuleRow[];
  /** When it was read (ISO); null before the first read. */
  readAt: string | null;
  error?: string;
}

/** The panel's view of `listing`. Pure. */
export function dlqTopicView(
  topic: string,
  listing: DlqListing | undefined,
  readAt: Date | null,
  error?: string,
): DlqTopicView {
  return {
    topic,
    ledgerTopic: ledgerTopicName(topic),
    exists: listing !== undefined,
    total: listing?.total ?? 0,
    replayed: listing?.replayed ?? 0,
    groups: (listing?.groups ?? []).map((g) => ({ ...g, pending: g.count - g.replayed })),
    readAt: readAt?.toISOString() ?? null,
    ...(error ? { error } : {}),
  };
}

/** What the page posts to replay one rule's group of one topic. */
export interface ReplayRequest {
  topic: string;
  /** The group's rule, as listed. */
  rule: string;
  /** Replay even when every record failed validation (the user confirmed). */
  force: boolean;
}

/** Checks a posted body; the topic must be one the dashboard watches. Pure. */
export function parseReplayRequest(
  body: unknown,
  topics: readonly string[],
): ReplayRequest | { error: string } {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  if (typeof b.topic !== "string" || !topics.includes(b.topic)) {
    return { error: `topic: must be one of ${topics.join(", ")}` };
  }
  if (typeof b.rule !== "string" || b.rule === "") {
    return { error: "rule: must be the rule of a group, as listed" };
  }
  if (b.force !== undefined && typeof b.force !== "boolean") {
    return { error: "force: must be true or false" };
  }
  return { topic: b.topic, rule: b.rule, force: b.force === true };
}
