/**
 * Keeps kafkajs from printing `TimeoutNegativeWarning` under Deno.
 *
 * kafkajs 2.2.4's request queue re-checks its pending requests after
 * `throttledUntil - Date.now()` ms; when it was never throttled that is
 * about minus the current epoch, and Deno's `setTimeout` warns on stderr
 * (once per process, breaking the scripts' one-JSON-object-per-line logs).
 * With nothing pending, a throttle time in the past is moved to one
 * millisecond from now, so the delay is 0 or 1 ms, never negative (a clock
 * tick between two `Date.now()` calls would make exactly "now" -1).
 *
 * @example
 * ```ts
 * import { installRequestQueueTimerFix } from "./request_queue_timer.ts";
 * installRequestQueueTimerFix(); // before kafkajs sends anything; createKafka does it
 * ```
 * @module
 */
// Not exported by kafkajs; the very module it loads (one instance per process).
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";

interface Queue {
  throttledUntil: number;
  pending: unknown[];
}

/** Moves a throttle time at or before `now` to `now + 1`. Pure. */
export function clampThrottle(throttledUntil: number, now: number): number {
  return throttledUntil <= now ? now + 1 : throttledUntil;
}

let installed = false;

/** Installs the fix once per process. */
export function installRequestQueueTimerFix(): void {
  if (installed) return;
  const proto = (RequestQueue as unknown as {
    prototype: { scheduleCheckPendingRequests: (this: Queue) => unknown };
  }).prototype;
  const original = proto.scheduleCheckPendingRequests;
  if (typeof original !== "function") {
    throw new Error(
      "kafkajs changed: RequestQueue.scheduleCheckPendingRequests is gone; review request_queue_timer.ts",
    );
  }
  proto.scheduleCheckPendingRequests = function (this: Queue) {
    // With requests pending, kafkajs itself turns a negative delay into its interval.
    if (this.pending.length === 0) {
      this.throttledUntil = clampThrottle(this.throttledUntil, Date.now());
    }
    return original.call(this);
  };
  installed = true;
}
