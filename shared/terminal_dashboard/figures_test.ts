import assert from "node:assert/strict";
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

const windows = (...w: [string, number][]) => ({
  windowSeconds: 60,
  late: 0,
  windows: w.map(([start, count]) => ({ start, count })),
});

Deno.test("orders per minute: the last complete window, gaps counted as zero", () => {
  const perWindow = windows(["2024-06-18T12:37:00.000Z", 90], ["2024-06-18T12:39:00.000Z", 120], [
    "2024-06-18T12:40:00.000Z",
    18,
  ]);
  const rate = ordersRate(perWindow, Date.parse("2024-06-18T12:40:10.000Z"), 4);
  assert.deepEqual(rate, {
    perMinute: 120,
    current: 18,
    windowSeconds: 60,
    recent: [90, 0, 120, 18],
  });
  // Two windows later without orders, the rate is 0.
  assert.equal(ordersRate(perWindow, Date.parse("2024-06-18T12:42:00.000Z")).perMinute, 0);
});

Deno.test("orders per minute: windows other than a minute are scaled", () => {
  const rate = ordersRate(
    { windowSeconds: 10, late: 0, windows: [{ start: "2024-06-18T12:40:00.000Z", count: 5 }] },
    Date.parse("2024-06-18T12:40:15.000Z"),
  );
  assert.equal(rate.perMinute, 30);
});

Deno.test("sparkline scales to the largest value", () => {
  assert.equal(sparkline([0, 4, 8]), "▁▅█");
  assert.equal(sparkline([0, 0]), "▁▁");
  assert.equal(sparkline([]), "");
});

Deno.test("numbers, money, percentages, durations and ages as people read them", () => {
  assert.equal(formatCount(1234567), "1,234,567");
  assert.equal(formatMoney(81234.5), "81,234.50");
  assert.equal(formatPercent(0.4), "40.0 %");
  assert.equal(formatDuration(3_723_000), "01:02:03");
  assert.equal(formatDuration(-5), "00:00:00");
  assert.equal(formatAge(400), "0.4 s");
  assert.equal(formatAge(65_000), "65 s");
  assert.equal(formatAge(600_000), "10 min");
});

Deno.test("width: colour sequences take no columns, a cut never leaks colour", () => {
  const red = "\x1b[31mdanger\x1b[0m zone";
  assert.equal(visibleWidth(red), 11);
  assert.equal(fitWidth(red, 3), "\x1b[31mdan\x1b[0m");
  assert.equal(fitWidth(red, 20), red);
  assert.equal(padTo("ab", 4), "ab  ");
  assert.equal(padTo("abcdef", 4), "abcd");
  assert.equal(visibleWidth("▁▅█ ●"), 5);
});

Deno.test("items wrap at the width, whole, with an indent after the first line", () => {
  assert.deepEqual(wrapItems(["aaaa", "bbbb", "cccc"], 12, "  "), ["aaaa · bbbb", "  cccc"]);
  assert.deepEqual(wrapItems(["aaaa", "bbbb"], 13, "  ", "> "), ["> aaaa · bbbb"]);
  assert.deepEqual(wrapItems(["aaaa", "bbbb"], 12, "  ", "> "), ["> aaaa", "  bbbb"]);
  assert.deepEqual(wrapItems([], 12, "  "), []);
});
