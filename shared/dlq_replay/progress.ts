/**
 * Progress of a replay on stderr: a bar redrawn in place when stderr is a
 * terminal, otherwise a structured `progress` log line every few seconds
 * (a bar in a log file or a pipe is noise). Rendering is pure; the reporter
 * takes its clock and its writers, so both are tested without a terminal.
 *
 * @example
 * ```ts
 * import { renderProgressBar } from "./progress.ts";
 * renderProgressBar({ done: 5, total: 10, elapsedMs: 2000, width: 10 });
 * // "replay [#####-----] 5/10  50%  2.5 rec/s  eta 2s"
 * ```
 * @module
 */
import type { Logger } from "../platform/log.ts";

/** One bar line, without the carriage return. Pure. */
export function renderProgressBar(p: {
  done: number;
  total: number;
  elapsedMs: number;
  width?: number;
  label?: string;
}): string {
  const width = p.width ?? 30;
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const perS = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const left = p.total - p.done;
  const eta = perS > 0 && left > 0 ? `  eta ${formatSeconds(left / perS)}` : "";
  return `${p.label ?? "replay"} [${bar}] ${p.done}/${p.total} ${pct}  ${
    perS.toFixed(1)
  } rec/s${eta}`;
}

/** Seconds as `42s`, `3m05s` or `2h04m`. */
export function formatSeconds(s: number): string {
  const t = Math.ceil(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}

/** Reports a replay's progress; `finish` ends the bar's line. */
export interface ProgressReporter {
  update(done: number): void;
  finish(done: number): void;
}

/**
 * A reporter: `tty` draws the bar with `write` (at most ~10 redraws a
 * second), otherwise `log` gets a `progress` line every `intervalMs`
 * (0: none) and one at the end.
 */
export function progressReporter(options: {
  total: number;
  tty: boolean;
  write: (text: string) => void;
  log: Logger;
  intervalMs: number;
  now?: () => number;
}): ProgressReporter {
  const now = options.now ?? Date.now;
  const start = now();
  let lastAt = -Infinity;
  const line = (done: number) => ({
    replayed: done,
    total: options.total,
    percent: options.total > 0 ? Math.floor((done / options.total) * 100) : 100,
    elapsedMs: now() - start,
  });
  const draw = (done: number) =>
    options.write(
      "\r" + renderProgressBar({ done, total: options.total, elapsedMs: now() - start }),
    );
  return {
    update(done) {
      const t = now();
      if (options.tty) {
        if (t - lastAt < 100 && done < options.total) return;
        lastAt = t;
        draw(done);
      } else if (options.intervalMs > 0 && t - lastAt >= options.intervalMs) {
        // The first update only starts the clock: a line at 0% says nothing.
        if (lastAt !== -Infinity) options.log.info("progress", line(done));
        lastAt = t;
      }
    },
    finish(done) {
      if (options.tty) {
        draw(done);
        options.write("\n");
      } else if (options.intervalMs > 0) options.log.info("progress", line(done));
    },
  };
}
