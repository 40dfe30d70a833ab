// Formatting helpers of the page: pure functions, also imported by
// shared/dashboard/format_test.ts.

/** 12345 -> "12,345"; non-numbers -> "–". */
export function formatNumber(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { maximumFractionDigits: 0 });
}

/** 1234.5 -> "1,234.50"; large sums drop the cents: 123456.7 -> "123,457". */
export function formatMoney(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  const digits = Math.abs(n) >= 100_000 ? 0 : 2;
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A rate per second with one decimal below 100: 4.25 -> "4.3", 250 -> "250". */
export function formatRate(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  return n < 100 ? n.toFixed(1) : formatNumber(n);
}

/** 0.8123 -> "81.2%". */
export function formatPercent(ratio) {
  if (typeof ratio !== "number" || !Number.isFinite(ratio)) return "–";
  return `${(ratio * 100).toFixed(1)}%`;
}

const pad = (n) => String(n).padStart(2, "0");

/** Seconds as the uptime shows them: "42s", "5m 06s", "3h 04m", "2d 03h". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** How long ago `when` (ISO or epoch ms) was, relative to `now` (epoch ms): "3s ago". */
export function timeAgo(when, now) {
  if (when === null || when === undefined) return "never";
  const at = typeof when === "number" ? when : Date.parse(when);
  if (!Number.isFinite(at)) return "–";
  return `${formatDuration((now - at) / 1000)} ago`;
}

/** Clock time of an ISO time or epoch ms, HH:MM:SS (local). */
export function clockTime(when) {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return "–";
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for HTML, attributes included. */
export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
