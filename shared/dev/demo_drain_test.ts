import assert from "node:assert/strict";
import { markersOnly } from "./demo_drain.ts";

Deno.test("a transactional topic read to its end lags by its commit marker only", () => {
  assert.equal(markersOnly([{ partition: 0, committed: 9, end: 10, lag: 1 }]), 0);
  assert.equal(markersOnly([{ partition: 0, committed: 5, end: 10, lag: 5 }]), 4);
  // Nothing committed yet: every record counts.
  assert.equal(markersOnly([{ partition: 1, committed: -1, end: 3, lag: 3 }]), 3);
  assert.equal(markersOnly([]), 0);
});
