import assert from "node:assert/strict";
import { deadLetter } from "../dlq.ts";
import { type DlqEntry, toDlqEntry } from "../dlq_replay/entry.ts";
import { listDlq } from "../dlq_replay/grouping.ts";
import { dlqTopicView, parseReplayRequest, replayPlan } from "./dlq_panel.ts";

function entry(partition: number, offset: string, reason: string, topic = "orders"): DlqEntry {
  const msg = deadLetter(
    { topic, partition: 0, offset, key: `ord-${offset}`, value: new TextEncoder().encode("{") },
    { errorClass: "unparseable", reason, stage: "router" },
    new Date("2026-01-01T00:00:00Z"),
  );
  return toDlqEntry(partition, {
    offset,
    key: new TextEncoder().encode(`ord-${offset}`),
    value: msg.value,
    timestamp: "0",
    headers: msg.headers,
  });
}

Deno.test("a replay takes exactly its reason, minus the ledger, in offset order", () => {
  const entries = [
    entry(1, "4", "not JSON"),
    entry(0, "10", "not JSON"),
    entry(0, "2", "not JSON"),
    entry(0, "3", "not JSON: unexpected end"),
  ];
  const plan = replayPlan(entries, new Set(["0/10"]), "not JSON");
  assert.equal(plan.matched, 3);
  assert.equal(plan.alreadyReplayed, 1);
  assert.deepEqual(plan.pending.map((e) => `${e.partition}/${e.offset}`), ["0/2", "1/4"]);
});

Deno.test("records that name nowhere to go are counted, not replayed", () => {
  const e = entry(0, "1", "lost");
  e.dlq = { reason: "lost" };
  const plan = replayPlan([e], new Set(), "lost");
  assert.deepEqual([plan.unroutable, plan.pending.length], [1, 0]);
});

Deno.test("the topic view adds what is left to replay per reason", () => {
  const entries = [entry(0, "1", "a"), entry(0, "2", "a"), entry(0, "3", "b")];
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
