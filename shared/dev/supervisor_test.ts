import assert from "node:assert/strict";
import { mayRestart } from "./restart_cap.ts";
import { isCrash } from "./supervisor.ts";

Deno.test("mayRestart: fewer than the cap within the last minute", () => {
  const now = 1_000_000;
  assert.equal(mayRestart([], now, 3), true);
  assert.equal(mayRestart([now - 1000, now - 2000], now, 3), true);
  assert.equal(mayRestart([now - 1000, now - 2000, now - 3000], now, 3), false);
  // Restarts older than a minute no longer count.
  assert.equal(mayRestart([now - 61_000, now - 62_000, now - 1000], now, 3), true);
  assert.equal(mayRestart([], now, 0), false);
});

Deno.test("isCrash: a signal or a non-zero code, not a clean exit", () => {
  assert.equal(isCrash({ success: true, code: 0, signal: null }), false);
  assert.equal(isCrash({ success: false, code: 1, signal: null }), true);
  assert.equal(isCrash({ success: false, code: 137, signal: "SIGKILL" }), true);
});
