/**
 * Stops kafkajs's request queues from spinning a timer when nothing waits.
 *
 * kafkajs 2.2.4 calls `scheduleCheckPendingRequests` after every response.
 * With no request pending and no throttle, it sets a timer for
 * `throttledUntil - Date.now()` ms (about minus the current epoch): Deno
 * prints `TimeoutNegativeWarning` for it (once per process, breaking the
 * scripts' one-JSON-object-per-line logs), the timer fires at once, finds
 * nothing pending and schedules itself again, so every connection that has
 * had a response keeps a timer firing every millisecond for as long as it
 * lives. A pending request is what the timer is for, and kafkajs schedules
 * one whenever it queues a request; so with nothing pending, nothing is
 * scheduled here.
 *
 * (This replaces an earlier fix that moved the throttle time to one
 * millisecond ahead: that kept the loop, and for that millisecond made
 * kafkajs queue the next request instead of sending it, a delay on every
 * request that follows a response, which is every step of a transaction.)
 *
 * @example
 * ```ts
 * import { installRequestQueueTimerFix } from "./request_queue_timer.ts";
 * installRequestQueueTimerFix(); // before kafkajs sends anything; install.ts does it
 * ```
 * @module
 */
// Not exported by kafkajs; the very module it loads (one instance per process).
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";

interface Queue {
  pending: unknown[];
}

/** Whether kafkajs needs a timer to look at its pending requests again. Pure. */
export function needsPendingCheck(queue: Queue): boolean {
  return queue.pending.length > 0;
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
      "kafkajs changed: RequestQueue.scheduleCheckPendingRequests is gone; review shared/kafka/patches/request_queue_timer.ts",
    );
  }
  proto.scheduleCheckPendingRequests = function (this: Queue) {
    // With requests pending, kafkajs itself turns a past throttle time into its interval.
    if (!needsPendingCheck(this)) return;
    return original.call(this);
  };
  installed = true;
}
