import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import type { DlqEntry } from "./entry.ts";
import { NO_REASON } from "./grouping.ts";
import {
  describeSelection,
  groupSelection,
  jsonValueOf,
  matchesSelection,
  needsDecodedValue,
  NO_SELECTION,
  selectionFrom,
} from "./selection.ts";

const enc = new TextEncoder();

function entry(fields: Partial<DlqEntry> & { dlq?: DlqEntry["dlq"] } = {}): DlqEntry {
  return {
    partition: 0,
    offset: "0",
    key: null,
    value: null,
    headers: {},
    timestamp: "0",
    dlq: {},
    ...fields,
  };
}

function refused(flags: Parameters<typeof selectionFrom>[0], flag: string, message: RegExp) {
  assert.throws(() => selectionFrom(flags), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.flag, flag);
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("no selection is refused with one line naming the choices", () => {
  refused({}, "all", /^replay needs a selection: --all, or --rule, --reason/);
  assert.equal(NO_SELECTION.includes("\n"), false);
});

Deno.test("--all stands alone; bad times and empty texts name their flag", () => {
  refused({ all: true, reason: "x" }, "all", /--all selects every record/);
  refused({ since: "yesterday" }, "since", /--since must be an ISO time/);
  refused({ until: "2026-13-45T00:00:00Z" }, "until", /--until must be an ISO time/);
  refused({ since: "2026-01-02", until: "2026-01-01" }, "until", /later than --since/);
  refused({ reason: " " }, "reason", /must not be empty/);
  refused({ orderId: "" }, "orderId", /must not be empty/);
  refused({ rule: "" }, "rule", /--rule must be a rule as list prints it/);
});

Deno.test("a selection in words", () => {
  assert.deepEqual(describeSelection(selectionFrom({ all: true })), { all: true });
  assert.deepEqual(
    describeSelection(selectionFrom({ reason: "x", since: "2026-01-01T00:00:00Z" })),
    { reason: "x", since: "2026-01-01T00:00:00.000Z" },
  );
});

Deno.test("--reason is a case-insensitive substring of dlq.reason", () => {
  const sel = selectionFrom({ reason: "QUANTITY" });
  assert.ok(matchesSelection(entry({ dlq: { reason: "items[0].quantity: must be > 0" } }), sel));
  assert.ok(!matchesSelection(entry({ dlq: { reason: "not JSON" } }), sel));
  assert.ok(!matchesSelection(entry(), sel));
});

Deno.test("a group's selection takes its rule whatever the values, a missing reason as NO_REASON", () => {
  const sel = groupSelection("items[].quantity: must be a positive whole number");
  const qty = (line: number, got: string) => ({
    dlq: { reason: `items[${line}].quantity: must be a positive whole number, got ${got}` },
  });
  assert.ok(matchesSelection(entry(qty(0, "0")), sel));
  assert.ok(matchesSelection(entry(qty(4, "-1")), sel));
  assert.ok(!matchesSelection(entry({ dlq: { reason: "items[0].sku: is required" } }), sel));
  assert.ok(
    matchesSelection(entry({ dlq: { reason: "not JSON: end" } }), groupSelection("not JSON")),
  );
  assert.ok(!matchesSelection(entry({ dlq: { reason: "NOT JSON" } }), groupSelection("not JSON")));
  assert.ok(matchesSelection(entry(), groupSelection(NO_REASON)));
  assert.deepEqual(describeSelection(sel), {
    rule: "items[].quantity: must be a positive whole number",
  });
  // The command line's --rule is the same selection.
  assert.deepEqual(selectionFrom({ rule: " not JSON " }), { all: false, rule: "not JSON" });
});

Deno.test("--order-id matches the original key, the key, or orderId in the value", () => {
  const sel = selectionFrom({ orderId: "ord-7" });
  assert.ok(needsDecodedValue(sel));
  assert.ok(matchesSelection(entry({ dlq: { originalKey: "ord-7" } }), sel));
  assert.ok(matchesSelection(entry({ key: enc.encode("ord-7") }), sel));
  assert.ok(matchesSelection(entry({ value: enc.encode('{"orderId":"ord-7"}') }), sel));
  // An Avro value keyed by SKU, decoded by the caller.
  assert.ok(matchesSelection(entry({ key: enc.encode("SKU-1") }), sel, { orderId: "ord-7" }));
  assert.ok(!matchesSelection(entry({ key: enc.encode("ord-70") }), sel));
  assert.ok(!matchesSelection(entry({ value: enc.encode('{"orderId":"ord-8"}') }), sel));
  assert.ok(!needsDecodedValue(selectionFrom({ all: true })));
});

Deno.test("--since is inclusive and --until exclusive, on dlq.failed.at", () => {
  const sel = selectionFrom({ since: "2026-01-02T00:00:00Z", until: "2026-01-03T00:00:00Z" });
  const at = (failedAt: string) => entry({ dlq: { failedAt } });
  assert.ok(matchesSelection(at("2026-01-02T00:00:00.000Z"), sel));
  assert.ok(matchesSelection(at("2026-01-02T23:59:59.999Z"), sel));
  assert.ok(!matchesSelection(at("2026-01-03T00:00:00.000Z"), sel));
  assert.ok(!matchesSelection(at("2026-01-01T23:59:59.999Z"), sel));
  assert.ok(!matchesSelection(entry({ timestamp: "-1" }), sel), "no time, not selected");
});

Deno.test("narrowing flags combine: every one must match", () => {
  const sel = selectionFrom({ reason: "bad", orderId: "o1" });
  assert.ok(matchesSelection(entry({ dlq: { reason: "bad", originalKey: "o1" } }), sel));
  assert.ok(!matchesSelection(entry({ dlq: { reason: "bad", originalKey: "o2" } }), sel));
  assert.ok(matchesSelection(entry(), selectionFrom({ all: true })));
});

Deno.test("jsonValueOf parses JSON text only", () => {
  assert.deepEqual(jsonValueOf(enc.encode('{"a":1}')), { a: 1 });
  assert.equal(jsonValueOf(enc.encode("{")), undefined);
  assert.equal(jsonValueOf(new Uint8Array([0, 0, 0, 0, 1, 2])), undefined);
  assert.equal(jsonValueOf(null), undefined);
});
