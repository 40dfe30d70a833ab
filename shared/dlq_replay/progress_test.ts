import assert from "node:assert/strict";
import { createLogger } from "../platform/log.ts";
import { formatSeconds, progressReporter, renderProgressBar } from "./progress.ts";

Deno.test("the bar: filled part, counts, percent, rate and time left", () => {
  assert.equal(
    renderProgressBar({ done: 5, total: 10, elapsedMs: 2000, width: 10 }),
    "replay [#####-----] 5/10  50%  2.5 rec/s  eta 2s",
  );
  assert.equal(
    renderProgressBar({ done: 10, total: 10, elapsedMs: 1000, width: 4 }),
    "replay [####] 10/10 100%  10.0 rec/s",
  );
  assert.equal(
    renderProgressBar({ done: 0, total: 0, elapsedMs: 0, width: 4, label: "x" }),
    "x [####] 0/0 100%  0.0 rec/s",
  );
});

Deno.test("seconds read as s, m and h", () => {
  assert.equal(formatSeconds(0.2), "1s");
  assert.equal(formatSeconds(185), "3m05s");
  assert.equal(formatSeconds(7440), "2h04m");
});

function harness(tty: boolean, intervalMs = 1000) {
  let t = 0;
  const written: string[] = [];
  const logged: Record<string, unknown>[] = [];
  const reporter = progressReporter({
    total: 4,
    tty,
    intervalMs,
    write: (s) => written.push(s),
    log: createLogger({ name: "t", write: (l) => logged.push(JSON.parse(l)) }),
    now: () => t,
  });
  return { reporter, written, logged, advance: (ms: number) => (t += ms) };
}

Deno.test("on a terminal the bar is redrawn in place, at most ten times a second", () => {
  const h = harness(true);
  h.reporter.update(0);
  h.reporter.update(1); // too soon
  h.advance(150);
  h.reporter.update(2);
  h.reporter.finish(4);
  assert.equal(h.written.length, 4);
  assert.ok(h.written[0].startsWith("\rreplay ["));
  assert.match(h.written[1], / 2\/4 /);
  assert.match(h.written[2], / 4\/4 100%/);
  assert.equal(h.written[3], "\n");
  assert.equal(h.logged.length, 0);
});

Deno.test("elsewhere progress is a structured line every interval, and one at the end", () => {
  const h = harness(false);
  h.reporter.update(0);
  h.advance(500);
  h.reporter.update(1);
  h.advance(600);
  h.reporter.update(2);
  h.reporter.finish(4);
  assert.equal(h.written.length, 0);
  assert.deepEqual(
    h.logged.map((l) => [l.msg, l.replayed, l.total, l.percent]),
    [["progress", 2, 4, 50], ["progress", 4, 4, 100]],
  );
  const quiet = harness(false, 0);
  quiet.reporter.update(1);
  quiet.reporter.finish(4);
  assert.equal(quiet.logged.length, 0);
});
