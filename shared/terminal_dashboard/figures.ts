/**
 * The terminal dashboard's derived figures and text helpers: orders per
 * minute from the aggregator's tumbling windows, a sparkline, numbers and
 * durations as people read them, and fitting text to a terminal's width
 * (ANSI colour sequences take no columns). All pure.
 *
 * @example
 * ```ts
 * import { formatCount, ordersRate, sparkline } from "./figures.ts";
 * const rate = ordersRate({
 *   windowSeconds: 60,
 *   late: 0,
 *   windows: [{ start: "2024-06-18T12:38:00.000Z", count: 90 }, { start: "2024-06-18T12:39:00.000Z", count: 120 }],
 * }, Date.parse("2024-06-18T12:40:10.000Z"));
 * rate.perMinute; // 120: the last complete window, scaled to a minute
 * sparkline([0, 4, 8]); // "▁▅█"
 * formatCount(12345); // "12,345"
 * ```
 * @module
 */
import type { StatsSnapshot } from "../aggregate/snapshot.ts";

/** Orders per minute, now: the last complete window and the one still filling. */
export interface OrdersRate {
  /** Orders in the last complete window, scaled to a minute. */
  perMinute: number;
  /** Orders so far in the current window. */
  current: number;
  windowSeconds: number;
  /** Counts of the newest windows up to the current one, oldest first, gaps as 0. */
  recent: number[];
}

/**
 * Orders per minute at `now` (epoch ms; the snapshot's `generatedAt`, so
 * the figure does not depend on the viewer's clock). Windows are event
 * time: when orders stop, the rate drops to 0 after a window.
 */
export function ordersRate(
  perWindow: StatsSnapshot["ordersPerWindow"],
  now: number,
  recentCount = 20,
): OrdersRate {
  const size = perWindow.windowSeconds * 1000;
  const counts = new Map(perWindow.windows.map((w) => [Date.parse(w.start), w.count]));
  const currentStart = Math.floor(now / size) * size;
  const at = (start: number) => counts.get(start) ?? 0;
  const recent = Array.from(
    { length: recentCount },
    (_, i) => at(currentStart - (recentCount - 1 - i) * size),
  );
  return {
    perMinute: Math.round(at(currentStart - size) * 60 / perWindow.windowSeconds),
    current: at(currentStart),
    windowSeconds: perWindow.windowSeconds,
    recent,
  };
}

const BARS = "▁▂▃▄▅▆▇█";

/** One bar per value, scaled to the largest; all zero is a flat line. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => max === 0 ? BARS[0] : BARS[Math.min(7, Math.round((v / max) * 7))]).join(
    "",
  );
}

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** 1234.5 → "1,234.50". */
export function formatMoney(n: number): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** 0.4 → "40.0 %". */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

/** Milliseconds as "01:02:03" (hours grow past 99 if they must). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/** Milliseconds as a short age: "0.4 s", "12 s", "3 min", "2 h". */
export function formatAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
// deno-lint-ignore no-control-regex
const ANSI_PARTS = /(\x1b\[[0-9;?]*[A-Za-z])/;

/** The columns `text` takes: its characters, without ANSI sequences. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/**
 * `text` cut to `width` columns, ANSI sequences kept (a cut inside a
 * coloured run ends with a reset, so colour never leaks to the next line).
 */
export function fitWidth(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  let out = "", used = 0, coloured = false;
  for (const part of text.split(ANSI_PARTS)) {
    if (part.startsWith("\x1b[")) {
      out += part;
      coloured = part !== "\x1b[0m";
      continue;
    }
    for (const ch of part) {
      if (used === width) break;
      out += ch;
      used++;
    }
    if (used === width) break;
  }
  return coloured ? out + "\x1b[0m" : out;
}

/** `text` padded with spaces to `width` columns (longer text is cut). */
export function padTo(text: string, width: number): string {
  const fitted = fitWidth(text, width);
  return fitted + " ".repeat(Math.max(0, width - visibleWidth(fitted)));
}

/**
 * Items joined with " · " into lines of at most `width` columns: the first
 * line starts with `firstIndent`, the others with `indent`. An item never
 * splits (one longer than a line is cut when the frame is fitted).
 */
export function wrapItems(
  items: readonly string[],
  width: number,
  indent: string,
  firstIndent = "",
): string[] {
  const lines: string[] = [];
  let line = "";
  const prefix = () => lines.length === 0 ? firstIndent : indent;
  for (const item of items) {
    const next = line === "" ? item : `${line} · ${item}`;
    if (line !== "" && visibleWidth(prefix()) + visibleWidth(next) > width) {
      lines.push(prefix() + line);
      line = item;
    } else line = next;
  }
  if (line !== "") lines.push(prefix() + line);
  return lines;
}
