import assert from "node:assert/strict";
import { pacingDelayMs, replayTransactionSize } from "./rate_limit.ts";

Deno.test("a transaction holds about 100 ms of records at a rate, the batch size without", () => {
  assert.equal(replayTransactionSize(0, 200), 200);
  assert.equal(replayTransactionSize(5, 200), 1);
  assert.equal(replayTransactionSize(0.5, 200), 1);
  assert.equal(replayTransactionSize(250, 200), 25);
  assert.equal(replayTransactionSize(1e6, 200), 200);
});

Deno.test("unlimited never waits", () => {
  assert.equal(pacingDelayMs({ rate: 0, startMs: 0, sent: 1e6, batch: 500, nowMs: 0 }), 0);
});

Deno.test("record k is not sent before k/rate seconds", () => {
  const at = (sent: number, batch: number, nowMs: number) =>
    pacingDelayMs({ rate: 4, startMs: 1000, sent, batch, nowMs });
  assert.equal(at(0, 1, 1000), 0, "the first record goes at once");
  assert.equal(at(1, 1, 1000), 250);
  assert.equal(at(1, 1, 1300), 0, "late is fine");
  assert.equal(at(4, 2, 1000), 1250, "a batch waits for its last record");
});

Deno.test("simulated: N records at rate r take at least (N-1)/r seconds and no more", () => {
  const rate = 20, total = 41;
  let now = 0, sent = 0;
  const batch = replayTransactionSize(rate, 100);
  while (sent < total) {
    const n = Math.min(batch, total - sent);
    now += pacingDelayMs({ rate, startMs: 0, sent, batch: n, nowMs: now });
    // By any send time, at most rate * t + 1 records are out.
    assert.ok(sent + n <= (rate * now) / 1000 + 1, `${sent + n} records at ${now} ms`);
    sent += n;
  }
  assert.equal(now, 2000);
});
