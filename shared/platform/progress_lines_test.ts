import assert from "node:assert/strict";
import { startProgressLines } from "./progress_lines.ts";

Deno.test("a progress line every interval, with the totals and the rate of one of them", async () => {
  const lines: [string, Record<string, unknown>][] = [];
  const log = {
    info: (msg: string, fields?: Record<string, unknown>) => lines.push([msg, fields!]),
  };
  // Each read of the clock is a second later, and each line 250 more records.
  let clock = 0;
  const totals = { consumed: 0 };
  const stop = startProgressLines(log, {
    intervalS: 0.01,
    fields: () => ({ ...totals }),
    rate: { name: "consumedPerSec", count: () => (totals.consumed += 250) },
  }, () => (clock += 1000));
  while (lines.length < 2) await new Promise((r) => setTimeout(r, 5));
  stop();
  const written = lines.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(lines.length, written, "none after stop");
  assert.deepEqual(lines[0], ["progress", { consumed: 250, consumedPerSec: 250 }]);
  assert.deepEqual(lines[1], ["progress", { consumed: 500, consumedPerSec: 250 }]);
});

Deno.test("an interval of 0 writes no progress lines", async () => {
  let lines = 0;
  const stop = startProgressLines({ info: () => lines++ }, { intervalS: 0, fields: () => ({}) });
  await new Promise((r) => setTimeout(r, 20));
  stop();
  assert.equal(lines, 0);
});
