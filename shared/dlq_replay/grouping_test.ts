import assert from "node:assert/strict";
import type { DlqEntry } from "./entry.ts";
import {
  groupByReason,
  listDlq,
  NO_REASON,
  renderListing,
  TABLE_REASON_WIDTH,
} from "./grouping.ts";

function entry(
  offset: string,
  dlq: DlqEntry["dlq"],
  timestamp = "0",
): DlqEntry {
  return { partition: 0, offset, key: null, value: null, headers: {}, dlq, timestamp };
}

const bad = (offset: string, failedAt: string, stage = "inventory_orders_producer") =>
  entry(offset, {
    reason: "not JSON",
    failedAt,
    stage,
    errorClass: "unparseable",
    originalTopic: "orders",
    replayTopic: "orders-inventory-retry-1",
  });

Deno.test("groups by exact reason with counts, oldest, newest, stages and classes", () => {
  const entries = [
    bad("0", "2026-01-02T00:00:00Z"),
    entry("1", {
      reason: "items[0].quantity: must be positive",
      failedAt: "2026-01-05T00:00:00Z",
      stage: "delivery_orders_producer",
      errorClass: "validation",
      originalTopic: "orders",
    }),
    bad("2", "2026-01-01T00:00:00Z", "delivery_orders_producer"),
    bad("3", "2026-01-03T00:00:00Z"),
  ];
  const groups = groupByReason(entries, new Set(["0/2", "0/1", "1/3"]));
  assert.deepEqual(groups, [
    {
      reason: "not JSON",
      count: 3,
      replayed: 1,
      oldest: "2026-01-01T00:00:00.000Z",
      newest: "2026-01-03T00:00:00.000Z",
      stages: ["delivery_orders_producer", "inventory_orders_producer"],
      errorClasses: ["unparseable"],
      replayTopics: ["orders-inventory-retry-1"],
    },
    {
      reason: "items[0].quantity: must be positive",
      count: 1,
      replayed: 1,
      oldest: "2026-01-05T00:00:00.000Z",
      newest: "2026-01-05T00:00:00.000Z",
      stages: ["delivery_orders_producer"],
      errorClasses: ["validation"],
      replayTopics: ["orders"],
    },
  ]);
});

Deno.test("records without an envelope are grouped under a named placeholder", () => {
  const [g] = groupByReason([entry("0", {}, "1767225600000"), entry("1", {}, "-1")], new Set());
  assert.equal(g.reason, NO_REASON);
  assert.equal(g.count, 2);
  assert.equal(g.oldest, "2026-01-01T00:00:00.000Z");
  assert.deepEqual(g.stages, []);
});

Deno.test("equal counts are ordered by reason, so the listing is stable", () => {
  const groups = groupByReason(
    [entry("0", { reason: "b" }), entry("1", { reason: "a" })],
    new Set(),
  );
  assert.deepEqual(groups.map((g) => g.reason), ["a", "b"]);
});

Deno.test("the listing totals and its table", () => {
  const listing = listDlq(
    [bad("0", "2026-01-02T00:00:00Z"), bad("1", "2026-01-01T00:00:00Z")],
    new Set(["0/0"]),
  );
  assert.equal(listing.total, 2);
  assert.equal(listing.replayed, 1);
  const text = renderListing("orders-dlq", listing);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "orders-dlq: 2 records, 1 reason, 1 already replayed");
  assert.match(lines[2], /^COUNT {2}REPLAYED {2}OLDEST/);
  assert.match(
    lines[3],
    /^ {4}2 {9}1 {2}2026-01-01T00:00:00\.000Z {2}2026-01-02T00:00:00\.000Z {2}inventory_orders_producer {2}unparseable {2}orders-inventory-retry-1 {2}not JSON$/,
  );
  assert.equal(renderListing("orders-dlq", listDlq([], new Set())), "orders-dlq: empty\n");
});

Deno.test("the table shortens long reasons to one line; the groups keep them whole", () => {
  const long = "x".repeat(300) + "\nsecond line";
  const listing = listDlq([entry("0", { reason: long })], new Set());
  assert.equal(listing.groups[0].reason, long);
  const row = renderListing("d", listing).trimEnd().split("\n")[3];
  assert.ok(row.endsWith("x".repeat(TABLE_REASON_WIDTH - 1) + "…"));
});
