/**
 * The DLQ panel's logic: a dead-letter topic's listing by reason (the
 * replayer's own grouping, shared/dlq_replay/grouping.ts) as the panel shows
 * it, the page's replay request checked, and which records a replay of one
 * reason takes: exactly that reason (the panel groups by exact reason; the
 * replayer's `--reason` is a substring match, which could take a
 * neighbouring group too), minus what the ledger says was replayed and what
 * names no topic to go back to. Pure.
 *
 * @example
 * ```ts
 * import { parseReplayRequest, replayPlan } from "./dlq_panel.ts";
 * parseReplayRequest({ topic: "orders-dlq", reason: "not JSON" }, ["orders-dlq"]);
 * // { topic: "orders-dlq", reason: "not JSON" }
 * replayPlan([], new Set(), "not JSON").pending.length; // 0
 * ```
 * @module
 */
import { type DlqEntry, ledgerKey, replayTopicOf } from "../dlq_replay/entry.ts";
import { type DlqListing, NO_REASON, type ReasonGroup } from "../dlq_replay/grouping.ts";
import { ledgerTopicName } from "../dlq_replay/ledger.ts";

/** One reason of the panel: the replayer's group and what is left to replay. */
export interface ReasonRow extends ReasonGroup {
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
  groups: ReasonRow[];
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

/** What the page posts to replay one reason of one topic. */
export interface ReplayRequest {
  topic: string;
  reason: string;
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
  if (typeof b.reason !== "string" || b.reason === "") {
    return { error: "reason: must be the reason of a group, as listed" };
  }
  return { topic: b.topic, reason: b.reason };
}

/** What a replay of one reason will do. */
export interface ReplayPlan {
  /** Records of the reason, in all. */
  matched: number;
  alreadyReplayed: number;
  /** Records with no `dlq.replay.topic` or `dlq.original.topic`: skipped. */
  unroutable: number;
  /** To replay, in partition and offset order. */
  pending: DlqEntry[];
}

/** Which records of `entries` a replay of `reason` takes. Pure. */
export function replayPlan(
  entries: readonly DlqEntry[],
  replayed: ReadonlySet<string>,
  reason: string,
): ReplayPlan {
  const plan: ReplayPlan = { matched: 0, alreadyReplayed: 0, unroutable: 0, pending: [] };
  for (const entry of entries) {
    if ((entry.dlq.reason ?? NO_REASON) !== reason) continue;
    plan.matched++;
    if (replayed.has(ledgerKey(entry.partition, entry.offset))) plan.alreadyReplayed++;
    else if (!replayTopicOf(entry)) plan.unroutable++;
    else plan.pending.push(entry);
  }
  plan.pending.sort((a, b) =>
    a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset))
  );
  return plan;
}
