import assert from "node:assert/strict";
import { visibleWidth } from "./figures.ts";
import { connectionBadge, type FrameInput, renderFrame, STALE_AFTER_MS } from "./render.ts";
import { SAMPLE_SNAPSHOT } from "./sample_snapshot.ts";

const NOW = Date.parse(SAMPLE_SNAPSHOT.generatedAt);
const input = (over: Partial<FrameInput> = {}): FrameInput => ({
  snapshot: SAMPLE_SNAPSHOT,
  connection: { kind: "live", lastEventAt: NOW - 400 },
  source: "http://127.0.0.1:8083",
  now: NOW,
  startedAt: NOW - 754_000,
  ...over,
});

Deno.test("frame: every headline figure of the snapshot, in a 100-column terminal", () => {
  const frame = renderFrame(input(), { width: 100, color: false }).join("\n");
  for (
    const expected of [
      /ORDER PIPELINE · live view +● live$/m,
      /uptime 00:12:34 · updated 0\.4 s ago · 12,345 records folded · http:\/\/127\.0\.0\.1:8083/,
      // 120 in the last complete minute, 18 so far in this one; 12:38 had none.
      /Orders\/min +120 +▁+▅▆▁█▂ {2}18 so far in this 60 s window/,
      /Orders +900 valid · 41 invalid · 2 unparseable/,
      /Value +81,234\.50 · average price 90\.26/,
      /Sales +700 · revenue 70,000\.25 · average price 100\.00/,
      /delivery +400 +40,000\.10 +100\.00\n +inventory +500 +41,234\.40 +82\.47/,
      /Status +2,000 events · 1,950 processed · 30 refused for stock · 20 rejected/,
      /inventory:refused 30 · inventory:reserved 900/,
      /Retried +12 +inventory_orders-retry-1 10 · orders-inventory-retry-1 2/,
      /Dead letters +43 +validation 41 · unparseable 2/,
      /1 27-inch Monitor +80 +19,920\.00 +1 Wireless Mouse +140/,
      /3 SKU-9999 +3 +30\.00$/m,
      /Conversion +40\.0 % of viewed products ordered \(600 of 1,500\) · 2,700 views/,
    ]
  ) assert.match(frame, expected);
});

Deno.test("frame: no line is wider than the terminal, with or without colour", () => {
  for (const width of [40, 60, 80, 100, 160]) {
    for (const color of [false, true]) {
      const lines = renderFrame(input(), { width, color });
      for (const line of lines) assert.ok(visibleWidth(line) <= width, `${width}: "${line}"`);
      if (color) assert.ok(lines.some((l) => l.includes("\x1b[32m● live")));
      else assert.ok(lines.every((l) => !l.includes("\x1b")));
    }
  }
});

Deno.test("frame: before the first snapshot, and when the aggregator cannot be reached", () => {
  const waiting = renderFrame(input({ snapshot: undefined, connection: { kind: "connecting" } }), {
    width: 80,
    color: false,
  });
  assert.match(waiting[0], /○ connecting$/);
  assert.match(waiting.join("\n"), /no order folded yet/);
  assert.match(waiting.join("\n"), /Waiting for the aggregator's first snapshot/);
  const offline = renderFrame(
    input({ snapshot: undefined, connection: { kind: "offline", error: "connection refused" } }),
    { width: 80, color: false },
  ).join("\n");
  assert.match(offline, /○ offline \(connection refused\)/);
  assert.match(offline, /No snapshot: is the aggregator running/);
});

Deno.test("frame: empty lists say so instead of showing nothing", () => {
  const empty = {
    ...SAMPLE_SNAPSHOT,
    orders: { ...SAMPLE_SNAPSHOT.orders, byType: {} },
    topProducts: [],
    clicks: {
      ...SAMPLE_SNAPSHOT.clicks,
      mostViewed: { ...SAMPLE_SNAPSHOT.clicks.mostViewed, products: [] },
    },
    retried: { total: 0, byTopic: {} },
  };
  const frame = renderFrame(input({ snapshot: empty }), { width: 100, color: false }).join("\n");
  assert.match(frame, /\(none yet\)/);
  assert.match(frame, /\(no sales yet\) +\(no views yet\)/);
  assert.match(frame, /Retried +0$/m);
});

Deno.test("connection badge: live, stale, reconnecting with its countdown", () => {
  assert.equal(connectionBadge({ kind: "live", lastEventAt: 0 }, 1000).text, "● live");
  assert.match(
    connectionBadge({ kind: "live", lastEventAt: 0 }, STALE_AFTER_MS + 2000).text,
    /● stale \(no update for 7\.0 s\)/,
  );
  assert.equal(
    connectionBadge({ kind: "reconnecting", error: "stream ended", retryAt: 3000 }, 1000).text,
    "○ reconnecting in 2.0 s (stream ended)",
  );
});
