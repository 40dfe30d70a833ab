/**
 * A long-running script's progress lines: every `seconds` (from its
 * `--progress-interval`), one `progress` log line with what `fields` says
 * then; 0 means none.
 *
 * @example
 * ```ts
 * import { createLogger } from "../log.ts";
 * import { startProgress } from "./progress.ts";
 * const totals = { done: 0 };
 * const stop = startProgress(createLogger({ name: "x" }), 10, () => totals);
 * stop();
 * ```
 * @module
 */
import type { LogFields, Logger } from "../log.ts";

/** Starts the progress lines; the function it returns stops them. */
export function startProgress(log: Logger, seconds: number, fields: () => LogFields): () => void {
  if (seconds <= 0) return () => {};
  const timer = setInterval(() => log.info("progress", fields()), seconds * 1000);
  return () => clearInterval(timer);
}
