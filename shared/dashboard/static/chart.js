// The throughput chart: an inline SVG line chart, built as a string from
// the rate points of the state (shared/dashboard/throughput.ts). Pure; also
// imported by shared/dashboard/chart_test.ts.

import { clockTime, escapeHtml } from "./format.js";

/** A "nice" upper bound of the y axis: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

/**
 * An SVG line chart of `points` (each `{at, [field]: number}`), one line per
 * series (`{field, label, color}`), `width` × `height` user units. Empty
 * data gives a chart frame with a "waiting for data" note.
 */
export function lineChartSvg(points, series, { width = 640, height = 220 } = {}) {
  const left = 44, right = 12, top = 12, bottom = 26;
  const w = width - left - right, h = height - top - bottom;
  const max = niceMax(Math.max(0, ...points.flatMap((p) => series.map((s) => p[s.field] ?? 0))));
  const t0 = points.length ? points[0].at : 0;
  const t1 = points.length ? points[points.length - 1].at : 1;
  const x = (at) => left + (t1 === t0 ? w : ((at - t0) / (t1 - t0)) * w);
  const y = (v) => top + h - (Math.max(0, v) / max) * h;
  const parts = [
    `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img" aria-label="throughput over time">`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const yy = y(v).toFixed(1);
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" class="grid"/>`,
      `<text x="${left - 6}" y="${yy}" class="axis" text-anchor="end" dominant-baseline="middle">${
        Number.isInteger(v) ? v : v.toFixed(1)
      }</text>`,
    );
  }
  if (points.length < 2) {
    parts.push(
      `<text x="${left + w / 2}" y="${
        top + h / 2
      }" class="empty" text-anchor="middle">waiting for data…</text>`,
    );
  } else {
    for (const i of [0, 0.5, 1]) {
      const at = t0 + (t1 - t0) * i;
      const anchor = i === 0 ? "start" : i === 1 ? "end" : "middle";
      parts.push(
        `<text x="${x(at).toFixed(1)}" y="${height - 6}" class="axis" text-anchor="${anchor}">${
          clockTime(at)
        }</text>`,
      );
    }
    for (const s of series) {
      const coords = points.map((p) => `${x(p.at).toFixed(1)},${y(p[s.field] ?? 0).toFixed(1)}`);
      const area = `${left},${top + h} ${coords.join(" ")} ${x(t1).toFixed(1)},${top + h}`;
      parts.push(
        `<polygon points="${area}" fill="${escapeHtml(s.color)}" opacity="0.08"/>`,
        `<polyline points="${coords.join(" ")}" fill="none" stroke="${
          escapeHtml(s.color)
        }" stroke-width="2" stroke-linejoin="round" data-series="${escapeHtml(s.field)}"/>`,
      );
    }
  }
  parts.push("</svg>");
  return parts.join("");
}
