import assert from "node:assert/strict";
import { clampThrottle } from "./request_queue_timer.ts";

Deno.test("a throttle time in the past becomes a millisecond from now; a future one is kept", () => {
  assert.equal(clampThrottle(-1, 1000), 1001);
  assert.equal(clampThrottle(1000, 1000), 1001);
  assert.equal(clampThrottle(1500, 1000), 1500);
});
