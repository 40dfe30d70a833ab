import assert from "node:assert/strict";
import { listDlq } from "../dlq_replay/grouping.ts";
import { deadLetterEntry } from "../dlq_replay/test_entry.ts";
import { dlqTopicView, parseReplayRequest } from "./dlq_panel.ts";

Deno.test("the topic view adds what is left to replay per rule", () => {
  const entries = [
    deadLetterEntry({ offset: "1", reason: "a" }),
    deadLetterEntry({ offset: "2", reason: "a" }),
    deadLetterEntry({ offset: "3", reason: "b" }),
  ];
  const view = dlqTopicView("x-dlq", listDlq(entries, new Set(["0/1"])), new Date(0));
  assert.equal(view.ledgerTopic, "x-dlq-replayed");
  assert.deepEqual(view.groups.map((g) => [g.rule, g.count, g.pending]), [["a", 2, 1], [
    "b",
    1,
    1,
  ]]);
  const missing = dlqTopicView("y-dlq", undefined, null);
  assert.deepEqual([missing.exists, missing.total, missing.readAt], [false, 0, null]);
});

Deno.test("replay requests name a watched topic and a rule, force only when asked", () => {
  assert.deepEqual(parseReplayRequest({ topic: "a", rule: "r" }, ["a"]), {
    topic: "a",
    rule: "r",
    force: false,
  });
  assert.deepEqual(parseReplayRequest({ topic: "a", rule: "r", force: true }, ["a"]), {
    topic: "a",
    rule: "r",
    force: true,
  });
  assert.match(
    (parseReplayRequest({ topic: "b", rule: "r" }, ["a"]) as { error: string }).error,
    /^topic: /,
  );
  assert.match((parseReplayRequest({ topic: "a" }, ["a"]) as { error: string }).error, /^rule: /);
  assert.match(
    (parseReplayRequest({ topic: "a", rule: "r", force: "yes" }, ["a"]) as { error: string })
      .error,
    /^force: must be true or false/,
  );
  assert.ok("error" in parseReplayRequest(null, ["a"]));
});
