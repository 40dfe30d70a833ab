import assert from "node:assert/strict";
import type { DlqEntry } from "./entry.ts";
import {
  groupByRule,
  listDlq,
  NO_REASON,
  renderListing,
  SAMPLE_VALUES,
  TABLE_RULE_WIDTH,
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

const quantity = (offset: string, line: number, value: string, failedAt: string) =>
  entry(offset, {
    reason: `items[${line}].quantity: must be a positive whole number, got ${value}`,
    failedAt,
    stage: "delivery_orders_producer",
    errorClass: "validation",
    originalTopic: "orders",
  });

Deno.test("groups by rule and field, not by value, with counts, samples, oldest and newest", () => {
  const entries = [
    bad("0", "2026-01-02T00:00:00Z"),
    quantity("1", 0, "0", "2026-01-05T00:00:00Z"),
    bad("2", "2026-01-01T00:00:00Z", "delivery_orders_producer"),
    quantity("4", 3, "-1", "2026-01-04T00:00:00Z"),
    bad("3", "2026-01-03T00:00:00Z"),
  ];
  const groups = groupByRule(entries, new Set(["0/2", "0/1", "1/3"]));
  assert.deepEqual(groups, [
    {
      rule: "not JSON",
      count: 3,
      replayed: 1,
      oldest: "2026-01-01T00:00:00.000Z",
      newest: "2026-01-03T00:00:00.000Z",
      samples: [],
      distinctValues: 0,
      allValidation: false,
      stages: ["delivery_orders_producer", "inventory_orders_producer"],
      errorClasses: ["unparseable"],
      replayTopics: ["orders-inventory-retry-1"],
    },
    {
      rule: "items[].quantity: must be a positive whole number",
      count: 2,
      replayed: 1,
      oldest: "2026-01-04T00:00:00.000Z",
      newest: "2026-01-05T00:00:00.000Z",
      samples: ["-1", "0"],
      distinctValues: 2,
      allValidation: true,
      stages: ["delivery_orders_producer"],
      errorClasses: ["validation"],
      replayTopics: ["orders"],
    },
  ]);
});

Deno.test("a group shows a few distinct samples and counts them all", () => {
  const values = ["0", "-1", "-1", "2.5", "-7", "0"];
  const [g] = groupByRule(
    values.map((v, i) => quantity(String(i), i, v, "2026-01-01T00:00:00Z")),
    new Set(),
  );
  assert.equal(g.count, 6);
  assert.equal(g.distinctValues, 4);
  assert.equal(g.samples.length, SAMPLE_VALUES);
  assert.deepEqual(g.samples, ["-1", "-7", "0"]);
});

Deno.test("one record of another class makes a group no longer all-validation", () => {
  const [g] = groupByRule([
    quantity("0", 0, "0", "2026-01-01T00:00:00Z"),
    entry("1", {
      reason: "items[0].quantity: must be a positive whole number, got 0",
      errorClass: "encoding",
    }),
  ], new Set());
  assert.equal(g.count, 2);
  assert.equal(g.allValidation, false);
});

Deno.test("records without an envelope are grouped under a named placeholder", () => {
  const [g] = groupByRule([entry("0", {}, "1767225600000"), entry("1", {}, "-1")], new Set());
  assert.equal(g.rule, NO_REASON);
  assert.equal(g.count, 2);
  assert.equal(g.oldest, "2026-01-01T00:00:00.000Z");
  assert.deepEqual(g.stages, []);
});

Deno.test("equal counts are ordered by rule, so the listing is stable", () => {
  const groups = groupByRule(
    [entry("0", { reason: "b" }), entry("1", { reason: "a" })],
    new Set(),
  );
  assert.deepEqual(groups.map((g) => g.rule), ["a", "b"]);
});

Deno.test("the listing totals and its table, samples after the rule", () => {
  const listing = listDlq(
    [
      bad("0", "2026-01-02T00:00:00Z"),
      bad("1", "2026-01-01T00:00:00Z"),
      ...["0", "-1", "3.5", "-2"].map((v, i) =>
        quantity(String(i + 2), i, v, "2026-01-03T00:00:00Z")
      ),
    ],
    new Set(["0/0"]),
  );
  assert.equal(listing.total, 6);
  assert.equal(listing.replayed, 1);
  const lines = renderListing("orders-dlq", listing).trimEnd().split("\n");
  assert.equal(lines[0], "orders-dlq: 6 records, 2 rules, 1 already replayed");
  assert.match(lines[2], /^COUNT {2}REPLAYED {2}OLDEST.* {2}RULE {2}\(SAMPLE VALUES\)$/);
  assert.match(
    lines[3],
    /^ {4}4 {9}0 {2}2026-01-03T00:00:00\.000Z {2}2026-01-03T00:00:00\.000Z {2}delivery_orders_producer {3}validation {3}orders {20}items\[\]\.quantity: must be a positive whole number {2}\(-1, -2, 0, … 4 values\)$/,
  );
  assert.match(lines[4], / {2}not JSON$/);
  assert.equal(renderListing("orders-dlq", listDlq([], new Set())), "orders-dlq: empty\n");
});

Deno.test("the table shortens long rules to one line; the groups keep them whole", () => {
  const long = "x".repeat(300) + "\nsecond line";
  const listing = listDlq([entry("0", { reason: long })], new Set());
  assert.equal(listing.groups[0].rule, long);
  const row = renderListing("d", listing).trimEnd().split("\n")[3];
  assert.ok(row.endsWith("x".repeat(TABLE_RULE_WIDTH - 1) + "…"));
});
