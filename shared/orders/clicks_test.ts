import assert from "node:assert/strict";
import { DEFAULT_CATALOG } from "./catalog.ts";
import { clickMessage, createClickGenerator, parseClick } from "./clicks.ts";
import { createOrderGenerator } from "./generate.ts";

const NOW = Date.UTC(2024, 5, 18, 12, 34, 56);

function orders(n: number, seed = 3) {
  const g = createOrderGenerator({
    seed,
    mix: { inventory: 1, delivery: 1 },
    catalog: DEFAULT_CATALOG,
    now: () => NOW,
  });
  return Array.from({ length: n }, () => g.next());
}

Deno.test("clicks: the same seed and orders give the same views", () => {
  const a = createClickGenerator({ seed: 9, catalog: DEFAULT_CATALOG, viewsPerOrder: 3 });
  const b = createClickGenerator({ seed: 9, catalog: DEFAULT_CATALOG, viewsPerOrder: 3 });
  const list = orders(50);
  assert.deepEqual(list.flatMap(a.forOrder), list.flatMap(b.forOrder));
  assert.equal(a.count, b.count);
});

Deno.test("clicks: about viewsPerOrder views per order, before the order, oldest first", () => {
  const clicks = createClickGenerator({ seed: 1, catalog: DEFAULT_CATALOG, viewsPerOrder: 3 });
  const list = orders(2000);
  let total = 0, ofOrdered = 0, byCustomer = 0;
  for (const order of list) {
    const views = clicks.forOrder(order);
    total += views.length;
    const times = views.map((v) => Date.parse(v.timestamp));
    assert.deepEqual(times, [...times].sort((x, y) => x - y));
    for (const v of views) {
      assert.ok(Date.parse(v.timestamp) < Date.parse(order.createdAt));
      if (v.userId === order.customerId) byCustomer++;
      if (order.items.some((i) => i.sku === v.productId)) ofOrdered++;
      assert.ok(DEFAULT_CATALOG.get(v.productId), "a catalog product");
    }
  }
  const mean = total / list.length;
  assert.ok(mean > 2.7 && mean < 3.3, `mean ${mean}`);
  assert.ok(byCustomer / total > 0.7 && byCustomer / total < 0.9);
  assert.ok(ofOrdered / total > 0.35, "a good share of views lead to the order");
});

Deno.test("clicks: viewsPerOrder 0 gives none; fractional means round at random", () => {
  const none = createClickGenerator({ seed: 1, catalog: DEFAULT_CATALOG, viewsPerOrder: 0 });
  assert.deepEqual(orders(100).flatMap(none.forOrder), []);
  const half = createClickGenerator({ seed: 1, catalog: DEFAULT_CATALOG, viewsPerOrder: 0.5 });
  const mean = orders(4000).flatMap(half.forOrder).length / 4000;
  assert.ok(mean > 0.4 && mean < 0.6, `mean ${mean}`);
});

Deno.test("clicks: bad options are refused", () => {
  assert.throws(
    () => createClickGenerator({ seed: -1, catalog: DEFAULT_CATALOG, viewsPerOrder: 1 }),
    RangeError,
  );
  assert.throws(
    () => createClickGenerator({ seed: 1, catalog: DEFAULT_CATALOG, viewsPerOrder: -1 }),
    /viewsPerOrder/,
  );
});

Deno.test("clicks: ids are unique, messages are keyed by user and parse back", () => {
  const clicks = createClickGenerator({ seed: 5, catalog: DEFAULT_CATALOG, viewsPerOrder: 4 });
  const views = orders(200).flatMap(clicks.forOrder);
  assert.equal(new Set(views.map((v) => v.clickId)).size, views.length);
  for (const v of views.slice(0, 20)) {
    const msg = clickMessage(v);
    assert.equal(msg.key, v.userId);
    const back = parseClick(new TextEncoder().encode(msg.value));
    assert.deepEqual(back, { ...v, at: Date.parse(v.timestamp) });
  }
});

Deno.test("parseClick names what is wrong", () => {
  assert.match((parseClick(null) as { invalid: string }).invalid, /empty/);
  assert.match((parseClick("{") as { invalid: string }).invalid, /not JSON/);
  assert.match((parseClick("[1]") as { invalid: string }).invalid, /not a JSON object/);
  assert.match(
    (parseClick('{"userId":"u","timestamp":"2024-01-01T00:00:00Z"}') as { invalid: string })
      .invalid,
    /productId/,
  );
  assert.match(
    (parseClick('{"userId":"u","productId":"p","timestamp":"soon"}') as { invalid: string })
      .invalid,
    /timestamp/,
  );
});
