import assert from "node:assert/strict";
import { createTokenBucket } from "./rate_schedule.ts";

Deno.test("tokens accrue at the rate; the first one is there at once", () => {
  let t = 0;
  const bucket = createTokenBucket({ ratePerSecond: 100, now: () => t });
  assert.equal(bucket.take(10), 1);
  assert.equal(bucket.take(10), 0);
  assert.equal(bucket.msUntil(1), 10);
  t = 10;
  assert.equal(bucket.take(10), 1);
  t = 60;
  assert.equal(bucket.msUntil(5), 0);
  assert.equal(bucket.take(3), 3, "takes no more than asked");
  assert.equal(bucket.take(10), 2, "the rest stays for later");
  assert.equal(bucket.msUntil(2), 20);
});

Deno.test("over a long run the average rate holds, however the sender wakes", () => {
  let t = 0;
  const bucket = createTokenBucket({ ratePerSecond: 250, now: () => t });
  let taken = 0;
  // Wake at irregular intervals (3..37 ms) for 10 simulated seconds.
  for (let i = 0; t < 10_000; i++) {
    taken += bucket.take(1000);
    t += 3 + (i * 7) % 35;
  }
  assert.ok(Math.abs(taken - 2500) <= 2, String(taken));
});

Deno.test("a stalled sender catches up by at most the burst", () => {
  let t = 0;
  const bucket = createTokenBucket({ ratePerSecond: 100, burst: 50, now: () => t });
  bucket.take(1);
  t = 60_000;
  assert.equal(bucket.take(10_000), 50);
  const defaultBurst = createTokenBucket({ ratePerSecond: 100, now: () => t });
  t = 120_000;
  assert.equal(defaultBurst.take(10_000), 100, "one second's worth by default");
});

Deno.test("rate 0 is no limit; a negative rate is refused", () => {
  const bucket = createTokenBucket({ ratePerSecond: 0 });
  assert.equal(bucket.take(500), 500);
  assert.equal(bucket.msUntil(1000), 0);
  assert.throws(() => createTokenBucket({ ratePerSecond: -1 }), RangeError);
  assert.throws(() => createTokenBucket({ ratePerSecond: NaN }), RangeError);
});
