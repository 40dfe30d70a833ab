import assert from "node:assert/strict";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { averagePrice, fromCents, statsSnapshot } from "./snapshot.ts";
import { emptyState } from "./state.ts";
import { addSliding, addTumbling } from "./windows.ts";
import { addOrder, addView } from "./conversion.ts";

Deno.test("snapshot: money in currency units, averages rounded to cents", () => {
  assert.equal(fromCents(4998), 49.98);
  assert.equal(averagePrice({ count: 3, cents: 1000 }), 3.33);
  assert.equal(averagePrice({ count: 0, cents: 0 }), 0);
});

Deno.test("snapshot: every part of the state, ranked lists cut at topN", () => {
  const state = emptyState();
  state.orders.valid = { count: 3, cents: 30_001 };
  state.orders.byType = {
    delivery: { count: 2, cents: 20_000 },
    return: { count: 1, cents: 10_001 },
  };
  state.orders.sales = { count: 2, cents: 20_000 };
  addTumbling(state.orders.perWindow, Date.UTC(2024, 0, 1, 0, 0, 10), 3);
  state.products = {
    "SKU-1001": { units: 5, cents: 12_495, orders: 2, views: 10 },
    "SKU-1002": { units: 5, cents: 44_950, orders: 1, views: 0 },
    "SKU-1003": { units: 0, cents: 0, orders: 0, views: 4 },
  };
  state.status.events = 5;
  state.status.byStatus = {
    "inventory:reserved": 2,
    "inventory:refused": 1,
    "delivery:rejected": 1,
    "delivery:scheduled": 1,
  };
  addSliding(state.clicks.window, "SKU-1003", 20_000);
  addSliding(state.clicks.window, "SKU-1001", 21_000);
  addSliding(state.clicks.window, "SKU-1003", 22_000);
  addView(state.clicks.conversion, "u", "SKU-1001", 1);
  addView(state.clicks.conversion, "v", "SKU-1001", 1);
  addOrder(state.clicks.conversion, "u", "SKU-1001", 2);
  const s = statsSnapshot(state, { topN: 1, catalog: DEFAULT_CATALOG, now: 0 });
  assert.equal(s.generatedAt, "1970-01-01T00:00:00.000Z");
  assert.deepEqual(s.orders.byType.return, { count: 1, value: 100.01, averagePrice: 100.01 });
  assert.equal(s.orders.averagePrice, 100);
  assert.deepEqual(s.sales, { count: 2, revenue: 200, averagePrice: 100 });
  assert.deepEqual(s.ordersPerWindow.windows, [{ start: "2024-01-01T00:00:00.000Z", count: 3 }]);
  assert.deepEqual(s.topProducts, [
    { sku: "SKU-1001", name: "Wireless Mouse", units: 5, revenue: 124.95, orders: 2 },
  ]);
  assert.equal(s.status.processed, 3);
  assert.equal(s.status.refusedForStock, 1);
  assert.equal(s.status.rejected, 1);
  assert.deepEqual(s.clicks.mostViewed.products, [{
    sku: "SKU-1003",
    name: "27-inch Monitor",
    views: 2,
  }]);
  assert.equal(s.clicks.mostViewed.to, "1970-01-01T00:00:30.000Z");
  assert.deepEqual(s.clicks.conversion, { viewedPairs: 2, convertedPairs: 1, rate: 0.5 });
  assert.deepEqual(s.clicks.byProduct, [
    { sku: "SKU-1001", name: "Wireless Mouse", views: 10, orders: 2, ordersPerView: 0.2 },
  ]);
  assert.equal(s.updatedAt, null);
  JSON.parse(JSON.stringify(s));
});
