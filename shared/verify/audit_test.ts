import assert from "node:assert/strict";
import {
  audit,
  EMPTY_OBSERVED,
  formatReport,
  groupObserved,
  type Observed,
  seenOf,
  summaryLines,
  totalOf,
} from "./audit.ts";
import { taggedOrders, type TaggedRun } from "./tagged_orders.ts";

const NOW = new Date("2026-06-01T12:00:00Z");

/** What a correct pipeline leaves behind for `run`, written from what was sent. */
function perfect(run: TaggedRun): Observed {
  const o: Observed = {
    inventory: [],
    delivery: [],
    deadLetters: [],
    statusEvents: [],
    store: { inventoryLines: [], deliveries: [], deliveryEvents: [], stock: [] },
  };
  const stock = new Map(run.skus.map((s) => [s, 0]));
  for (const order of run.orders) {
    if (order.kind === "inventory") {
      for (const l of order.lines!) {
        o.inventory.push({ orderId: order.orderId, ...l, key: l.sku, at: "inv/0@1" });
        o.store.inventoryLines.push({ orderId: order.orderId, ...l });
        o.statusEvents.push({
          eventId: `inventory:${order.orderId}:${l.lineIndex}`,
          orderId: order.orderId,
          source: "inventory",
          status: l.status,
          lineIndex: l.lineIndex,
        });
        if (l.outcome === "applied") stock.set(l.sku, stock.get(l.sku)! + l.quantity);
      }
    } else if (order.kind === "delivery") {
      o.delivery.push({ orderId: order.orderId, ...order.delivery!, key: order.orderId });
      o.store.deliveries.push({ orderId: order.orderId, status: "scheduled" });
      o.store.deliveryEvents.push({
        eventId: `scheduled:${order.orderId}`,
        orderId: order.orderId,
        toStatus: "scheduled",
        outcome: "applied",
      });
      o.statusEvents.push({
        eventId: `delivery:${order.orderId}:scheduled:${order.orderId}`,
        orderId: order.orderId,
        source: "delivery",
        status: "scheduled",
      });
    } else if (order.kind === "invalid") {
      o.deadLetters.push({ orderId: order.orderId, reason: `x: ${order.dlqReason} y` });
    }
  }
  o.store.stock = [...stock].map(([sku, onHand]) => ({ sku, onHand }));
  return o;
}

const run = taggedOrders("t1", 10, NOW);
const first = (kind: string) => run.orders.find((o) => o.kind === kind)!;

Deno.test("a perfect pipeline: every order exactly once, ok, and the counts say so", () => {
  const report = audit(run, perfect(run));
  assert.deepEqual(report.findings, []);
  assert.ok(report.complete && report.ok);
  const byKind = Object.fromEntries(report.kinds.map((k) => [k.kind, k]));
  assert.deepEqual(byKind.inventory, {
    kind: "inventory",
    sent: 10,
    routed: 10,
    applied: 10,
    deadLettered: 0,
    lost: 0,
    duplicated: 0,
    wrong: 0,
  });
  assert.equal(byKind.delivery.applied, 10);
  assert.equal(byKind.invalid.deadLettered, 10);
  assert.equal(byKind.other.routed + byKind.other.deadLettered, 0);
  assert.equal(report.totals.sent, 40);
  assert.match(
    summaryLines(report)[4],
    /^total +sent=40 routed=20 applied=20 dead-lettered=10 lost=0 duplicated=0 wrong=0$/,
  );
  assert.match(formatReport(report).at(-1)!, /^OK/);
});

Deno.test("other traffic on the same topics and tables is ignored", () => {
  const o = perfect(run);
  o.inventory.push({
    orderId: "ord-1",
    lineIndex: 0,
    sku: "SKU-1",
    quantity: 1,
    movement: "RESERVE",
    key: "SKU-1",
  });
  o.deadLetters.push({ orderId: "ord-2", reason: "whatever" }, {
    orderId: "ord-2",
    reason: "again",
  });
  o.statusEvents.push({
    eventId: "inventory:ord-1:0",
    orderId: "ord-1",
    source: "inventory",
    status: "reserved",
  });
  o.store.stock.push({ sku: "SKU-1", onHand: 3 });
  assert.ok(audit(run, o).ok);
});

Deno.test("nothing arrived yet: incomplete, every expected order lost", () => {
  const report = audit(run, { ...perfect(taggedOrders("other", 1, NOW)) });
  assert.equal(report.complete, false);
  assert.equal(report.totals.lost, 30);
});

Deno.test("a lost inventory line is named, and only that order counts as lost", () => {
  const o = perfect(run);
  const victim = first("inventory").orderId;
  o.inventory = o.inventory.filter((r) => !(r.orderId === victim && r.lineIndex === 0));
  const report = audit(run, o);
  assert.equal(report.complete, false);
  assert.equal(report.ok, false);
  assert.equal(report.totals.lost, 1);
  assert.deepEqual(report.findings.map((f) => [f.problem, f.orderId, f.where]), [[
    "lost",
    victim,
    "inventory_orders",
  ]]);
  assert.match(formatReport(report).join("\n"), new RegExp(`lost orders \\(1\\): ${victim}`));
});

Deno.test("a lost store effect and a lost status event are losses too", () => {
  const o = perfect(run);
  const inv = first("inventory").orderId, del = first("delivery").orderId;
  o.store.deliveries = o.store.deliveries.filter((r) => r.orderId !== del);
  o.statusEvents = o.statusEvents.filter((e) => e.orderId !== inv);
  const report = audit(run, o);
  assert.deepEqual(
    report.findings.map((f) => [f.problem, f.orderId, f.where]).sort(),
    [["lost", del, "store"], ["lost", inv, "order_status"]].sort(),
  );
});

/** A change that puts the first record of `orderId` in the list `of` picks a second time. */
function twice<T extends { orderId: string }>(
  of: (o: Observed) => T[],
  orderId: string,
): (o: Observed) => void {
  return (o) => {
    const list = of(o);
    list.push({ ...list.find((r) => r.orderId === orderId)! });
  };
}

Deno.test("a duplicate on each output is found and named", async (t) => {
  const inv = first("inventory"), del = first("delivery"), bad = first("invalid");
  const cases: [string, (o: Observed) => void, string, string][] = [
    ["inventory_orders", twice((o) => o.inventory, inv.orderId), inv.orderId, "inventory_orders"],
    ["delivery_orders", twice((o) => o.delivery, del.orderId), del.orderId, "delivery_orders"],
    ["the DLQ", twice((o) => o.deadLetters, bad.orderId), bad.orderId, "dlq"],
    [
      "order_status (same event id)",
      twice((o) => o.statusEvents, del.orderId),
      del.orderId,
      "order_status",
    ],
    [
      "order_status (a second event for one line)",
      (o) =>
        o.statusEvents.push({
          ...o.statusEvents.find((e) => e.orderId === inv.orderId)!,
          eventId: "inventory:x",
        }),
      inv.orderId,
      "order_status",
    ],
    [
      "the store's inventory lines",
      (o) =>
        o.store.inventoryLines.push({
          ...o.store.inventoryLines.find((r) =>
            r.orderId === inv.orderId && r.movement === "RESERVE"
          ) ?? o.store.inventoryLines.find((r) => r.orderId === inv.orderId)!,
        }),
      inv.orderId,
      "store",
    ],
    ["the store's deliveries", twice((o) => o.store.deliveries, del.orderId), del.orderId, "store"],
  ];
  for (const [name, mutate, orderId, where] of cases) {
    await t.step(name, () => {
      const o = perfect(run);
      mutate(o);
      const report = audit(run, o);
      assert.equal(report.ok, false);
      assert.equal(report.complete, true);
      assert.equal(report.totals.duplicated, 1);
      const dup = report.findings.filter((f) => f.problem === "duplicated");
      assert.deepEqual(dup.map((f) => [f.orderId, f.where]), [[orderId, where]]);
      assert.match(
        formatReport(report).join("\n"),
        new RegExp(`duplicated orders \\(1\\): ${orderId}`),
      );
    });
  }
});

Deno.test("a DLQ record with the wrong reason is wrong, not ok", () => {
  const o = perfect(run);
  const bad = first("invalid");
  o.deadLetters.find((r) => r.orderId === bad.orderId)!.reason = "something else entirely";
  const report = audit(run, o);
  assert.equal(report.ok, false);
  assert.equal(report.totals.wrong, 1);
  assert.deepEqual(report.findings.map((f) => [f.problem, f.orderId, f.where]), [[
    "wrong",
    bad.orderId,
    "dlq",
  ]]);
});

Deno.test("an order where it must not be: other types routed or dead-lettered, valid ones dead-lettered", () => {
  const o = perfect(run);
  const other = first("other"), inv = first("inventory");
  o.deadLetters.push({ orderId: other.orderId, reason: "?" }, {
    orderId: inv.orderId,
    reason: "?",
  });
  const report = audit(run, o);
  assert.equal(report.ok, false);
  const rows = Object.fromEntries(report.kinds.map((k) => [k.kind, k]));
  assert.equal(rows.other.wrong, 1);
  assert.equal(rows.other.deadLettered, 1);
  assert.equal(rows.inventory.wrong, 1);
});

Deno.test("a wrong outcome, field or key on a target record is wrong", () => {
  const o = perfect(run);
  const inv = first("inventory"), del = first("delivery");
  o.inventory.find((r) => r.orderId === inv.orderId)!.key = "not-the-sku";
  o.delivery.find((r) => r.orderId === del.orderId)!.carrier = "someone";
  const report = audit(run, o);
  assert.equal(report.totals.wrong, 2);
  assert.equal(report.totals.applied, 20, "the store side is still fine");
});

Deno.test("stock that the ledger does not explain fails the audit", () => {
  const o = perfect(run);
  o.store.stock[0].onHand += 1;
  const report = audit(run, o);
  assert.equal(report.complete, true);
  assert.equal(report.ok, false);
  assert.match(formatReport(report).join("\n"), /1 of 5 SKUs inconsistent/);
});

Deno.test("a movement applied twice through a foreign order moves the ledger and the stock, not what was sent", () => {
  const o = perfect(run);
  const line = o.store.inventoryLines.find((l) => l.outcome === "applied")!;
  o.store.inventoryLines.push({ ...line, orderId: "someone-else" });
  o.store.stock.find((s) => s.sku === line.sku)!.onHand += line.quantity;
  const report = audit(run, o);
  const s = report.stock.find((c) => c.sku === line.sku)!;
  assert.equal(s.onHand, s.ledger);
  assert.notEqual(s.onHand, s.expected);
  assert.equal(report.ok, false);
});

Deno.test("groupObserved keeps the run's orders only; seenOf gives one order's records", () => {
  const mine = first("invalid").orderId;
  const observed: Observed = {
    ...EMPTY_OBSERVED,
    deadLetters: [{ orderId: mine, reason: "a" }, { orderId: "someone-else", reason: "b" }],
  };
  const byOrder = groupObserved(observed, run.prefix);
  assert.deepEqual([...byOrder.dlq.keys()], [mine]);
  assert.deepEqual(seenOf(byOrder, mine).dlq, [{ orderId: mine, reason: "a" }]);
  assert.deepEqual(seenOf(byOrder, "someone-else").dlq, []);
});

Deno.test("totalOf adds every count of the kinds' rows", () => {
  const report = audit(run, perfect(run));
  assert.deepEqual(totalOf(report.kinds), report.totals);
  assert.equal(totalOf([]).sent, 0);
  assert.equal(totalOf(report.kinds).kind, "total");
});
