import assert from "node:assert/strict";
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";
import { installRequestQueueTimerFix, needsPendingCheck } from "./request_queue_timer.ts";

interface Queue {
  pending: unknown[];
  throttleCheckTimeoutId: number | null;
  throttledUntil: number;
  checkPendingRequests(): void;
  destroy(): void;
}
const Queue = RequestQueue as unknown as new (options: Record<string, unknown>) => Queue;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("needsPendingCheck: only a pending request needs the timer", () => {
  assert.equal(needsPendingCheck({ pending: [] }), false);
  assert.equal(needsPendingCheck({ pending: [{}] }), true);
});

Deno.test("after a response with nothing pending, kafkajs's queue arms no timer", () => {
  installRequestQueueTimerFix();
  const queue = new Queue({ logger: quiet, requestTimeout: 1000, maxInFlightRequests: null });
  try {
    // What fulfillRequest does after every response.
    queue.checkPendingRequests();
    assert.equal(queue.throttleCheckTimeoutId, null, "no timer, so no 1 ms loop");
    assert.equal(queue.throttledUntil, -1, "and no throttle: the next request goes out at once");
    // A pending request (throttled by the broker, say) still gets its check.
    queue.pending.push({ send() {} });
    queue.throttledUntil = Date.now() + 60_000;
    queue.checkPendingRequests();
    assert.notEqual(queue.throttleCheckTimeoutId, null);
  } finally {
    queue.destroy();
  }
});
