import assert from "node:assert/strict";
import { MAX_RESTARTS_PER_MINUTE, restartAfterCrash } from "./restart_cap.ts";

/** The crash history after `times` crashes, each fed back in as a node's would be. */
function crashAt(times: number[]): { crashes: number[]; restart: boolean }[] {
  let crashes: number[] = [];
  return times.map((now) => {
    const verdict = restartAfterCrash(crashes, now);
    crashes = verdict.crashes;
    return verdict;
  });
}

Deno.test("restartAfterCrash: a first crash is restarted and remembered", () => {
  assert.deepEqual(restartAfterCrash([], 1_000), { crashes: [1_000], restart: true });
});

Deno.test("restartAfterCrash: five crashes in a minute are restarted, the sixth is left down", () => {
  const verdicts = crashAt([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
  assert.equal(MAX_RESTARTS_PER_MINUTE, 5);
  assert.deepEqual(verdicts.map((v) => v.restart), [true, true, true, true, true, false]);
  assert.equal(verdicts[5].crashes.length, 6);
});

Deno.test("restartAfterCrash: crashes a minute old or older no longer count", () => {
  const verdicts = crashAt([0, 1_000, 2_000, 3_000, 4_000, 60_000]);
  assert.equal(verdicts[5].restart, true);
  assert.deepEqual(verdicts[5].crashes, [1_000, 2_000, 3_000, 4_000, 60_000]);
});

Deno.test("restartAfterCrash leaves the history it is given as it was", () => {
  const crashes = [10, 20];
  restartAfterCrash(crashes, 30);
  assert.deepEqual(crashes, [10, 20]);
});
