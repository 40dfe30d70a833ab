/**
 * The three patches this product makes to kafkajs's internals, installed in
 * one place, for the one kafkajs version they were written against.
 *
 * - `read_committed.ts`: kafkajs's read_committed filter lets records of
 *   aborted transactions through in some fetches; this one does not.
 * - `request_queue_timer.ts`: no pending-request timer spinning on every
 *   connection when nothing is pending (and no warning under Deno).
 * - `encoder.ts`: varints and varlongs written in place (same bytes, faster).
 *
 * Each reaches into a kafkajs module that kafkajs does not export, so each
 * is only right for the version it was read from: {@linkcode installKafkajsPatches}
 * refuses any other version with one line that names what to review, rather
 * than patching code it has not seen. `createKafka` (shared/kafka/kafkajs_client.ts) calls
 * it before it builds a client; calling it again is a no-op.
 *
 * @example
 * ```ts
 * import { installKafkajsPatches } from "./install.ts";
 * installKafkajsPatches(); // before the first kafkajs client sends anything
 * ```
 * @module
 */
import kafkajsPackage from "kafkajs/package.json" with { type: "json" };
import { installFastEncoder } from "./encoder.ts";
import { installReadCommittedFilter } from "./read_committed.ts";
import { installRequestQueueTimerFix } from "./request_queue_timer.ts";

/** The kafkajs version the patches were written against, and the one deno.json pins. */
export const PATCHED_KAFKAJS_VERSION = "2.2.4";

/**
 * Why patches written for {@linkcode PATCHED_KAFKAJS_VERSION} must not be
 * installed on `version`, or `undefined` when they may. Pure.
 */
export function versionMismatch(version: string): string | undefined {
  if (version === PATCHED_KAFKAJS_VERSION) return undefined;
  return `kafkajs is ${version}, but shared/kafka/patches/ patches ${PATCHED_KAFKAJS_VERSION}: ` +
    `review each patch against the new version (or pin kafkajs ${PATCHED_KAFKAJS_VERSION} in deno.json)`;
}

/** Installs the three patches once per process; throws on any other kafkajs version. */
export function installKafkajsPatches(version: string = kafkajsPackage.version): void {
  const mismatch = versionMismatch(version);
  if (mismatch) throw new Error(mismatch);
  installReadCommittedFilter();
  installFastEncoder();
  installRequestQueueTimerFix();
}
