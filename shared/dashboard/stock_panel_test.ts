import assert from "node:assert/strict";
import { stockPanel } from "./stock_panel.ts";
import { foldStock } from "../orders/inventory_event.ts";

Deno.test("the stock panel marks SKUs at or below the threshold low and lists them first", () => {
  const levels = foldStock(new Map(), [
    { sku: "C", onHandAfter: 50, sequence: 1, at: 1 },
    { sku: "A", onHandAfter: 5, sequence: 1, at: 1 },
    { sku: "B", onHandAfter: 0, sequence: 3, at: 2 },
    { sku: "D", onHandAfter: 6, sequence: 2, at: 2 },
  ]);
  const panel = stockPanel(levels, 5, 4);
  assert.deepEqual(panel.rows.map((r) => [r.sku, r.onHand, r.low]), [
    ["A", 5, true],
    ["B", 0, true],
    ["C", 50, false],
    ["D", 6, false],
  ]);
  assert.equal(panel.lowCount, 2);
  assert.equal(panel.threshold, 5);
  assert.equal(panel.changes, 4);
  assert.deepEqual(stockPanel(new Map(), 5).rows, []);
});
