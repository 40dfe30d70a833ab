/**
 * One frame of the terminal dashboard: the aggregator's snapshot (see
 * shared/aggregate/snapshot.ts) and the state of the connection to it, as
 * lines of text no wider than the terminal. Pure: the same input gives the
 * same lines, so tests compare frames and `--once` prints one.
 *
 * @example
 * ```ts
 * import { renderFrame } from "./render.ts";
 * const lines = renderFrame({
 *   connection: { kind: "connecting" },
 *   source: "http://127.0.0.1:8083",
 *   now: 0,
 *   startedAt: 0,
 * }, { width: 80, color: false });
 * lines[0]; // " ORDER PIPELINE · live view                      ...           ○ connecting"
 * ```
 * @module
 */
import type { StatsSnapshot } from "../aggregate/snapshot.ts";
import {
  fitWidth,
  formatAge,
  formatCount,
  formatDuration,
  formatMoney,
  formatPercent,
  ordersRate,
  padTo,
  sparkline,
  visibleWidth,
  wrapItems,
} from "./figures.ts";

/** Where the dashboard stands with the aggregator. */
export type ConnectionState =
  | { kind: "connecting" }
  /** Events arrive; `lastEventAt` is when the latest did (epoch ms). */
  | { kind: "live"; lastEventAt: number }
  /** The stream broke or never opened; the next attempt is at `retryAt`. */
  | { kind: "reconnecting"; error: string; retryAt: number }
  /** No more attempts (`--once` failed). */
  | { kind: "offline"; error: string };

export interface FrameInput {
  /** The latest snapshot; undefined until one arrives. */
  snapshot?: StatsSnapshot;
  connection: ConnectionState;
  /** The aggregator's address, shown next to the connection state. */
  source: string;
  /** Epoch ms of this frame. */
  now: number;
  /** When the dashboard started (its uptime is counted from there). */
  startedAt: number;
}

export interface RenderOptions {
  /** Terminal columns; lines are cut to it. */
  width: number;
  /** ANSI colours (off for pipes and NO_COLOR). */
  color: boolean;
  /** Entries of each ranked list; 5 by default. */
  listLength?: number;
}

/** Events older than this while "live" make the state "stale": the aggregator is quiet. */
export const STALE_AFTER_MS = 5000;

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof CODES;

/** The connection state as a badge: a dot, a word, and why. */
export function connectionBadge(
  state: ConnectionState,
  now: number,
): { text: string; style: Style } {
  switch (state.kind) {
    case "connecting":
      return { text: "○ connecting", style: "yellow" };
    case "live":
      return now - state.lastEventAt > STALE_AFTER_MS
        ? { text: `● stale (no update for ${formatAge(now - state.lastEventAt)})`, style: "yellow" }
        : { text: "● live", style: "green" };
    case "reconnecting":
      return {
        text: `○ reconnecting in ${formatAge(state.retryAt - now)} (${state.error})`,
        style: "red",
      };
    case "offline":
      return { text: `○ offline (${state.error})`, style: "red" };
  }
}

/** The frame's lines; see the module doc. */
export function renderFrame(input: FrameInput, options: RenderOptions): string[] {
  const { width } = options;
  const n = options.listLength ?? 5;
  const paint = (style: Style, text: string) =>
    options.color ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
  const label = (text: string) => paint("bold", padTo(text, 13));
  const lines: string[] = [];

  const badge = connectionBadge(input.connection, input.now);
  const title = " " + paint("bold", "ORDER PIPELINE · live view");
  const right = paint(badge.style, badge.text);
  const gap = width - visibleWidth(title) - visibleWidth(right);
  lines.push(gap >= 2 ? title + " ".repeat(gap) + right : title + "  " + right);

  const snap = input.snapshot;
  const updated = snap?.updatedAt
    ? `updated ${formatAge(input.now - Date.parse(snap.updatedAt))} ago`
    : "no order folded yet";
  lines.push(
    ` uptime ${formatDuration(input.now - input.startedAt)} · ${updated}` +
      (snap ? ` · ${formatCount(snap.records)} records folded` : "") + ` · ${input.source}`,
  );
  lines.push("");
  if (!snap) {
    lines.push(
      input.connection.kind === "offline"
        ? " No snapshot: is the aggregator running, and is this its address?"
        : " Waiting for the aggregator's first snapshot...",
    );
    return lines.map((l) => fitWidth(l, width));
  }

  const rate = ordersRate(snap.ordersPerWindow, Date.parse(snap.generatedAt));
  lines.push(
    ` ${label("Orders/min")}${paint("cyan", formatCount(rate.perMinute).padStart(10))}   ` +
      `${sparkline(rate.recent)}  ${formatCount(rate.current)} so far in this ` +
      `${rate.windowSeconds} s window`,
  );
  const o = snap.orders;
  lines.push(
    ` ${label("Orders")}${formatCount(o.count).padStart(10)} valid · ${formatCount(o.invalid)} ` +
      `invalid · ${formatCount(o.unparseable)} unparseable`,
  );
  lines.push(
    ` ${label("Value")}${formatMoney(o.value).padStart(10)} · average price ` +
      paint("cyan", formatMoney(o.averagePrice)),
  );
  lines.push(
    ` ${label("Sales")}${formatCount(snap.sales.count).padStart(10)} · revenue ` +
      `${formatMoney(snap.sales.revenue)} · average price ${formatMoney(snap.sales.averagePrice)}`,
  );
  lines.push("");

  const types = Object.entries(o.byType).sort(([a], [b]) => a.localeCompare(b));
  lines.push(
    ` ${label("By type")}${"orders".padStart(10)}${"value".padStart(14)}${
      "avg price".padStart(12)
    }`,
  );
  if (types.length === 0) lines.push("   (none yet)");
  for (const [type, f] of types) {
    lines.push(
      `   ${padTo(type, 11)}${formatCount(f.count).padStart(10)}${
        formatMoney(f.value).padStart(14)
      }${formatMoney(f.averagePrice).padStart(12)}`,
    );
  }
  lines.push("");

  const s = snap.status;
  const indent = " ".repeat(14);
  lines.push(
    ...wrapItems(
      [
        ` ${label("Status")}${formatCount(s.events)} events`,
        `${formatCount(s.processed)} processed`,
        `${formatCount(s.refusedForStock)} refused for stock`,
        `${formatCount(s.rejected)} rejected`,
        `${formatCount(s.duplicatesIgnored)} duplicates ignored`,
      ],
      width,
      indent,
    ),
  );
  const statuses = Object.entries(s.byStatus).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${formatCount(v)}`);
  lines.push(...wrapItems(statuses, width, indent, indent));

  const breakdown = (title: string, total: number, by: Record<string, number>, style: Style) => {
    const items = Object.entries(by).sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([k, v]) => `${k} ${formatCount(v)}`);
    const head = ` ${label(title)}${
      paint(total > 0 ? style : "dim", formatCount(total).padStart(10))
    }`;
    return wrapItems([`${head}   ${items.shift() ?? ""}`.trimEnd(), ...items], width, indent);
  };
  lines.push(...breakdown("Retried", snap.retried.total, snap.retried.byTopic, "yellow"));
  lines.push(
    ...breakdown("Dead letters", snap.deadLettered.total, snap.deadLettered.byClass, "red"),
  );
  lines.push("");

  const column = 40;
  const mv = snap.clicks.mostViewed;
  const left = [
    paint("bold", "Top products (units · revenue)"),
    ...snap.topProducts.slice(0, n).map((p, i) =>
      `${i + 1} ${padTo(p.name ?? p.sku, 18)}${formatCount(p.units).padStart(6)}${
        formatMoney(p.revenue).padStart(12)
      }`
    ),
  ];
  const rightList = [
    paint("bold", `Most viewed (last ${formatCount(mv.windowSeconds)} s)`),
    ...mv.products.slice(0, n).map((p, i) =>
      `${i + 1} ${padTo(p.name ?? p.sku, 22)}${formatCount(p.views).padStart(7)}`
    ),
  ];
  if (left.length === 1) left.push("(no sales yet)");
  if (rightList.length === 1) rightList.push("(no views yet)");
  const rows = Math.max(left.length, rightList.length);
  for (let i = 0; i < rows; i++) {
    lines.push((" " + padTo(left[i] ?? "", column) + " " + (rightList[i] ?? "")).trimEnd());
  }
  lines.push("");
  const c = snap.clicks.conversion;
  lines.push(
    ` ${label("Conversion")}${paint("cyan", formatPercent(c.rate).padStart(10))} of viewed ` +
      `products ordered (${formatCount(c.convertedPairs)} of ${formatCount(c.viewedPairs)}) · ` +
      `${formatCount(snap.clicks.views)} views`,
  );
  return lines.map((l) => fitWidth(l, width));
}
