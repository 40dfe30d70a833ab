import assert from "node:assert/strict";
import { markFailed, markOk, sourceStatus } from "./source_status.ts";

Deno.test("a source is down until it answers; a failure keeps its last good answer", () => {
  const s = sourceStatus("b1:9092,b2:9092");
  assert.deepEqual({ ...s }, { ok: false, at: "b1:9092,b2:9092", lastOkAt: null });
  markOk(s, new Date("2026-06-01T12:00:00Z"));
  assert.deepEqual({ ...s }, {
    ok: true,
    at: "b1:9092,b2:9092",
    lastOkAt: "2026-06-01T12:00:00.000Z",
  });
  markFailed(s, new Error("connection refused"));
  assert.deepEqual({ ...s }, {
    ok: false,
    at: "b1:9092,b2:9092",
    lastOkAt: "2026-06-01T12:00:00.000Z",
    error: "connection refused",
  });
  markFailed(s, "timeout");
  assert.equal(s.error, "timeout");
  markOk(s, new Date("2026-06-01T12:00:05Z"));
  assert.equal("error" in s, false);
  assert.equal(s.lastOkAt, "2026-06-01T12:00:05.000Z");
});
