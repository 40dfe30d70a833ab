// The page's helpers (static/*.js) are plain modules: tested here as they are served.
import assert from "node:assert/strict";
import {
  escapeHtml,
  formatDuration,
  formatMoney,
  formatNumber,
  formatPercent,
  formatRate,
  timeAgo,
} from "./static/format.js";
import { lineChartSvg, niceMax } from "./static/chart.js";

Deno.test("numbers, money, rates and percentages read at a glance", () => {
  assert.equal(formatNumber(1234567), "1,234,567");
  assert.equal(formatNumber(undefined), "–");
  assert.equal(formatMoney(1234.5), "1,234.50");
  assert.equal(formatMoney(123456.7), "123,457");
  assert.equal(formatRate(4.25), "4.3");
  assert.equal(formatRate(250), "250");
  assert.equal(formatPercent(0.8123), "81.2%");
});

Deno.test("durations and ages", () => {
  assert.equal(formatDuration(42), "42s");
  assert.equal(formatDuration(306), "5m 06s");
  assert.equal(formatDuration(3 * 3600 + 4 * 60), "3h 04m");
  assert.equal(formatDuration(2 * 86400 + 3 * 3600), "2d 03h");
  assert.equal(timeAgo(7000, 10_000), "3s ago");
  assert.equal(timeAgo(null, 0), "never");
});

Deno.test("text is escaped for HTML", () => {
  assert.equal(
    escapeHtml(`<b a="1">'&'</b>`),
    "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;",
  );
  assert.equal(escapeHtml(undefined), "");
});

Deno.test("the chart scales to a nice maximum and draws one line per series", () => {
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(7), 10);
  assert.equal(niceMax(18), 20);
  assert.equal(niceMax(230), 250);
  const series = [{ field: "orders", label: "in", color: "#2563eb" }, {
    field: "processed",
    label: "processed",
    color: "#16a34a",
  }];
  const svg = lineChartSvg([
    { at: 0, orders: 1, processed: 0 },
    { at: 1000, orders: 9, processed: 4 },
  ], series);
  assert.match(svg, /^<svg /);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.match(svg, />10</, "the axis goes to 10");
  assert.match(lineChartSvg([], series), /waiting for data/);
});
