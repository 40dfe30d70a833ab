import assert from "node:assert/strict";
import { createLogger } from "../platform/log.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import { DEFAULT_BACKOFF } from "./backoff.ts";
import { PermanentFailure } from "./classify.ts";
import { RETRY_HEADERS } from "./envelope.ts";
import { createRetryStage, handOffsByTopic } from "./retry_stage.ts";

function stage(now: () => number) {
  return createRetryStage({
    sources: [{ topic: "delivery_orders" }, { topic: "delivery_events", dlqTopic: "shared-dlq" }],
    policy: { ...DEFAULT_BACKOFF, attempts: 2 },
    stage: "delivery_data_consumer",
    log: createLogger({ name: "test", level: "error" }),
    metrics: new MetricsRegistry({ script: "test" }),
    now,
  });
}

const due = (at: number) => ({ headers: { [RETRY_HEADERS.dueAt]: Buffer.from(String(at)) } });

Deno.test("each source has its retry topics and its DLQ", () => {
  const s = stage(() => 0);
  assert.deepEqual(s.retryTopics, [
    "delivery_orders-retry-1",
    "delivery_orders-retry-2",
    "delivery_events-retry-1",
    "delivery_events-retry-2",
  ]);
  assert.deepEqual(s.dlqTopics, ["delivery_orders-dlq", "shared-dlq"]);
});

Deno.test("a batch runs up to the first record not due yet", () => {
  const s = stage(() => 1000);
  assert.deepEqual(s.due([{ headers: {} }, due(900), due(1000)]).holdUntil, undefined);
  const { due: ready, holdUntil } = s.due([due(500), due(999), due(1500), due(1200)]);
  assert.equal(ready.length, 2);
  assert.equal(holdUntil, 1500);
});

Deno.test("hold pauses one partition once and resumes it when due", async () => {
  let t = 0;
  const s = stage(() => t);
  let paused = 0, resumed = 0;
  const pause = () => {
    paused++;
    return () => void resumed++;
  };
  s.hold(pause, 30, "delivery_orders-retry-1", 0);
  s.hold(pause, 30, "delivery_orders-retry-1", 0);
  assert.equal(paused, 1, "already held");
  t = 30;
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(resumed, 1);
  s.hold(pause, 10_000, "delivery_orders-retry-1", 0);
  s.close();
  assert.equal(paused, 2);
});

Deno.test("fail routes by the record's original topic", () => {
  const s = stage(() => 0);
  const record = {
    topic: "delivery_events",
    partition: 1,
    offset: "3",
    key: "o-1",
    value: new Uint8Array([1]),
  };
  const first = s.fail(record, new Error("connect ECONNREFUSED"));
  assert.equal(first.topic, "delivery_events-retry-1");
  const again = s.fail(
    { ...record, topic: first.topic, headers: first.message.headers },
    new Error("connect ECONNREFUSED"),
  );
  assert.equal(again.topic, "delivery_events-retry-2");
  assert.equal(s.fail(record, new PermanentFailure("validation", "bad")).topic, "shared-dlq");
});

Deno.test("hand-offs are grouped by topic for one send", () => {
  assert.deepEqual(
    handOffsByTopic([
      { topic: "a", message: 1 },
      { topic: "b", message: 2 },
      { topic: "a", message: 3 },
    ]),
    [{ topic: "a", messages: [1, 3] }, { topic: "b", messages: [2] }],
  );
});
