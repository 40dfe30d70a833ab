import assert from "node:assert/strict";
import { listDlq } from "../dlq_replay/grouping.ts";
import { deadLetterEntry } from "../dlq_replay/test_entry.ts";
import { dlqTopicView, parseReplayRequest } from "./dlq_panel.ts";

Deno.test("the topic view adds what is left to replay per reason", () => {
  const entries = [
    deadLetterEntry({ offset: "1", reason: "a" }),
    deadLetterEntry({ offset: "2", reason: "a" }),
    deadLetterEntry({ offset: "3", reason: "b" }),
  ];
  const view = dlqTopicView("x-dlq", listDlq(entries, new Set(["0/1"])), new Date(0));
  assert.equal(view.ledgerTopic, "x-dlq-replayed");
  assert.deepEqual(view.groups.map((g) => [g.reason, g.count, g.pending]), [["a", 2, 1], [
    "b",
    1,
    1,
  ]]);
  const missing = dlqTopicView("y-dlq", undefined, null);
  assert.deepEqual([missing.exists, missing.total, missing.readAt], [false, 0, null]);
});

Deno.test("replay requests name a watched topic and a reason", () => {
  assert.deepEqual(parseReplayRequest({ topic: "a", reason: "r" }, ["a"]), {
    topic: "a",
    reason: "r",
  });
  assert.match(
    (parseReplayRequest({ topic: "b", reason: "r" }, ["a"]) as { error: string }).error,
    /topic/,
  );
  assert.match((parseReplayRequest({ topic: "a" }, ["a"]) as { error: string }).error, /reason/);
  assert.ok("error" in parseReplayRequest(null, ["a"]));
});
