/**
 * A script's periodic "progress" log line: its running totals and how fast
 * one of them grew since the last line.
 *
 * @example
 * ```ts
 * import { silentLogger } from "./log.ts";
 * import { startProgressLines } from "./progress_lines.ts";
 * const totals = { consumed: 0 };
 * const stop = startProgressLines(silentLogger, {
 *   intervalS: 10,
 *   fields: () => ({ ...totals }),
 *   rate: { name: "consumedPerSec", count: () => totals.consumed },
 * });
 * stop();
 * ```
 * @module
 */
import type { LogFields, Logger } from "./log.ts";

export interface ProgressLineOptions {
  /** Seconds between lines; 0 = none. */
  intervalS: number;
  /** What each line says. */
  fields: () => LogFields;
  /** A count whose growth per second each line adds, as `name`. */
  rate?: { name: string; count: () => number };
}

/** Starts the lines; returns what stops them. */
export function startProgressLines(
  log: Pick<Logger, "info">,
  options: ProgressLineOptions,
  now: () => number = () => performance.now(),
): () => void {
  if (options.intervalS <= 0) return () => {};
  const { rate } = options;
  let last = { at: now(), count: rate?.count() ?? 0 };
  const timer = setInterval(() => {
    const fields = options.fields();
    if (rate) {
      const at = now();
      const count = rate.count();
      fields[rate.name] = Math.round((count - last.count) / ((at - last.at) / 1000));
      last = { at, count };
    }
    log.info("progress", fields);
  }, options.intervalS * 1000);
  return () => clearInterval(timer);
}
