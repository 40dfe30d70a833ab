/**
 * A dead letter as the pipeline writes it (shared/retry/dead_letter.ts `deadLetter`), read
 * back as a {@linkcode DlqEntry}: the one fixture of the DLQ replay's unit
 * tests, so each states only what it is about.
 *
 * @example
 * ```ts
 * import { deadLetterEntry } from "./test_entry.ts";
 * const entry = deadLetterEntry({ partition: 1, offset: "4", reason: "not JSON" });
 * entry.dlq.reason; // "not JSON"
 * entry.dlq.originalTopic; // "orders"
 * ```
 * @module
 */
import { deadLetter, type Failure } from "../retry/dead_letter.ts";
import { type DlqEntry, toDlqEntry } from "./entry.ts";

const enc = new TextEncoder();

/** What a test says about its dead letter; the rest is an unparseable order on `orders`. */
export interface DeadLetterFixture {
  /** Where the dead letter sits in the DLQ (partition 0 unless given). */
  partition?: number;
  offset: string;
  /** The record's key (`ord-<offset>` unless given). */
  key?: string;
  value?: Uint8Array;
  reason?: string;
  failure?: Failure;
  /** Where a replay goes instead of `orders`: the retry path's replay topic. */
  replayTopic?: string;
  failedAt?: Date;
  /** The DLQ record's timestamp (epoch ms as text). */
  timestamp?: string;
  /** More headers, beside the envelope. */
  headers?: Record<string, string>;
}

/** The entry of the dead letter `fixture` describes. */
export function deadLetterEntry(fixture: DeadLetterFixture): DlqEntry {
  const key = fixture.key ?? `ord-${fixture.offset}`;
  const value = fixture.value ?? enc.encode("{");
  const failedAt = fixture.failedAt ?? new Date("2026-01-01T00:00:00Z");
  const msg = deadLetter(
    { topic: "orders", partition: 0, offset: fixture.offset, key, value },
    fixture.failure ??
      { errorClass: "unparseable", reason: fixture.reason ?? "not JSON", stage: "router" },
    failedAt,
    fixture.replayTopic
      ? { attempts: 4, firstFailedAt: new Date(0), replayTopic: fixture.replayTopic }
      : undefined,
  );
  return toDlqEntry(fixture.partition ?? 0, {
    offset: fixture.offset,
    key: enc.encode(key),
    value,
    timestamp: fixture.timestamp ?? "0",
    headers: { ...msg.headers, ...fixture.headers },
  });
}
