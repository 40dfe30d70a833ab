import assert from "node:assert/strict";
import type { DlqEntry } from "./entry.ts";
import { NO_REASON } from "./grouping.ts";
import { byPlace, countByDestination, dryRunLine, planReplay, validationWarning } from "./plan.ts";
import { groupSelection, selectionFrom } from "./selection.ts";
import { deadLetterEntry } from "./test_entry.ts";

const enc = new TextEncoder();
const places = (entries: DlqEntry[]) => entries.map((e) => `${e.partition}/${e.offset}`);

Deno.test("a group's replay takes exactly its rule, minus the ledger, in offset order", () => {
  const entries = [
    deadLetterEntry({ partition: 1, offset: "4" }),
    deadLetterEntry({ offset: "10", reason: "not JSON: unexpected end" }),
    deadLetterEntry({ offset: "2" }),
    deadLetterEntry({ offset: "3", reason: "not a JSON object" }),
  ];
  const plan = planReplay(entries, new Set(["0/10"]), groupSelection("not JSON"));
  assert.equal(plan.matched, 3);
  assert.equal(plan.alreadyReplayed, 1);
  assert.deepEqual(places(plan.pending), ["0/2", "1/4"]);
});

Deno.test("the command line's --reason is a substring: the neighbouring group goes too", () => {
  const entries = [
    deadLetterEntry({ offset: "1" }),
    deadLetterEntry({ offset: "2", reason: "not JSON: unexpected end" }),
    deadLetterEntry({ offset: "3", reason: "lost" }),
  ];
  const plan = planReplay(entries, new Set(), selectionFrom({ reason: "JSON" }));
  assert.deepEqual([plan.matched, ...places(plan.pending)], [2, "0/1", "0/2"]);
  assert.equal(planReplay(entries, new Set(), selectionFrom({ all: true })).matched, 3);
});

Deno.test("records that name nowhere to go are set apart, not replayed", () => {
  const lost = deadLetterEntry({ offset: "1", reason: "lost" });
  lost.dlq = {};
  const plan = planReplay([lost], new Set(), groupSelection(NO_REASON));
  assert.deepEqual([plan.matched, plan.unroutable, plan.pending], [1, [lost], []]);
});

Deno.test("values the caller decoded decide an --order-id selection", () => {
  const avro = deadLetterEntry({
    offset: "1",
    key: "SKU-1",
    value: new Uint8Array([0, 0, 0, 0, 7]),
  });
  const json = deadLetterEntry({
    offset: "2",
    key: "SKU-2",
    value: enc.encode('{"orderId":"o-9"}'),
  });
  const sel = selectionFrom({ orderId: "o-9" });
  assert.deepEqual(places(planReplay([avro, json], new Set(), sel).pending), ["0/2"]);
  const decoded = new Map([[avro, { orderId: "o-9" }]]);
  assert.deepEqual(places(planReplay([avro, json], new Set(), sel, decoded).pending), [
    "0/1",
    "0/2",
  ]);
});

Deno.test("offsets are ordered as numbers, partitions first", () => {
  const entries = [
    deadLetterEntry({ offset: "10" }),
    deadLetterEntry({ partition: 1, offset: "0" }),
    deadLetterEntry({ offset: "9" }),
  ];
  assert.deepEqual(places(entries.sort(byPlace)), ["0/9", "0/10", "1/0"]);
});

Deno.test("destinations are counted per replay topic, the original topic otherwise", () => {
  const entries = [
    deadLetterEntry({ offset: "1" }),
    deadLetterEntry({ offset: "2", replayTopic: "orders-retry-1" }),
    deadLetterEntry({ offset: "3" }),
  ];
  assert.deepEqual(countByDestination(entries), { orders: 2, "orders-retry-1": 1 });
});

Deno.test("a dry run's line names the record, where it goes, its key, time and reason", () => {
  assert.equal(
    dryRunLine("orders-dlq", deadLetterEntry({ partition: 1, offset: "7", replayTopic: "r-1" })),
    'would replay orders-dlq/1/7 -> r-1  key=ord-7  failed=2026-01-01T00:00:00.000Z  reason="not JSON"',
  );
});

const invalid = (offset: string, reason: string, errorClass = "validation") =>
  deadLetterEntry({
    offset,
    failure: { errorClass, reason, stage: "inventory_orders_producer" },
  });

Deno.test("a replay of records that all failed validation is warned about in one line", () => {
  const qty = "items[0].quantity: must be a positive whole number, got 0";
  assert.equal(
    validationWarning([invalid("1", qty), invalid("2", qty.replace("got 0", "got -4"))]),
    "all 2 records to replay failed validation " +
      "(items[].quantity: must be a positive whole number): " +
      "replayed unchanged, they would be dead-lettered again",
  );
  const many = ["a: is required", "b: is required", "c: is required"].map((r, i) =>
    invalid(String(i), r)
  );
  assert.match(validationWarning(many)!, /\(a: is required \| b: is required \| 1 more rules\)/);
  // One record that failed otherwise (a database outage) may well go through now.
  assert.equal(
    validationWarning([invalid("1", qty), invalid("2", "database is locked", "database")]),
    undefined,
  );
  assert.equal(validationWarning([]), undefined);
});
