import assert from "node:assert/strict";
import avro from "avsc";
import { createCatalog, DEFAULT_CATALOG } from "./catalog.ts";
import {
  createOrderGenerator,
  createRandom,
  DEFECTS,
  formatMix,
  MixError,
  type OrderGeneratorOptions,
  parseMix,
} from "./generate.ts";
import { isRoutedType, KNOWN_CARRIERS, type RawDeliveryOrder } from "./model.ts";
import { toDeliveryOrder, toInventoryOrders, toInventoryOrdersV2 } from "./enrich.ts";
import {
  DELIVERY_ORDER_SCHEMA,
  INVENTORY_ORDER_SCHEMA,
  INVENTORY_ORDER_SCHEMA_V2,
} from "./schemas.ts";
import { formatProblems, validateForType, validateOrder } from "./validate.ts";

const NOW = Date.UTC(2024, 5, 18, 12, 34, 56);
const MIX = { inventory: 0.45, delivery: 0.45, return: 0.1 };

function generator(options: Partial<OrderGeneratorOptions> = {}) {
  return createOrderGenerator({
    seed: 7,
    mix: MIX,
    catalog: DEFAULT_CATALOG,
    now: () => NOW,
    ...options,
  });
}

Deno.test("parseMix: weights become shares", () => {
  assert.deepEqual(parseMix("inventory=45,delivery=45,return=10"), MIX);
  assert.deepEqual(parseMix(" inventory = 1 , delivery=1 "), { inventory: 0.5, delivery: 0.5 });
  assert.deepEqual(parseMix("inventory=0.2,delivery=0,exchange=0.8"), {
    inventory: 0.2,
    delivery: 0,
    exchange: 0.8,
  });
  assert.deepEqual(parseMix("delivery=3"), { delivery: 1 });
});

Deno.test("parseMix: clear errors", () => {
  const cases: [string, RegExp][] = [
    ["", /mix is empty: expected type=weight pairs such as inventory=45/],
    ["   ", /mix is empty/],
    ["inventory", /mix entry "inventory" needs a weight: type=weight/],
    ["inventory=45,,delivery=5", /has an empty entry/],
    ["inventory=45,", /has an empty entry/],
    ["Inventory=4", /mix type "Inventory" must be a lowercase word/],
    ["=4", /mix type "" must be a lowercase word/],
    ["inventory=lots", /mix weight of inventory must be a number of 0 or more, got "lots"/],
    ["inventory=", /mix weight of inventory must be a number of 0 or more, got ""/],
    ["inventory=-5", /got "-5"/],
    ["inventory=Infinity", /got "Infinity"/],
    ["inventory=1,inventory=2", /mix names inventory twice/],
    ["inventory=0,delivery=0", /mix weights add up to 0/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseMix(text), (err: Error) => {
      assert.ok(err instanceof MixError, text);
      assert.match(err.message, message, text);
      return true;
    });
  }
});

Deno.test("formatMix shows percentages", () => {
  assert.equal(
    formatMix({ inventory: 45, delivery: 45, return: 10 }),
    "inventory=45%,delivery=45%,return=10%",
  );
  assert.equal(formatMix({ a: 1, b: 2 }), "a=33.3%,b=66.7%");
});

Deno.test("the generator refuses bad options", () => {
  assert.throws(() => generator({ mix: {} }), MixError);
  assert.throws(() => generator({ mix: { inventory: -1 } }), MixError);
  assert.throws(() => generator({ mix: { "Bad Type": 1 } }), MixError);
  assert.throws(() => generator({ seed: 1.5 }), RangeError);
  assert.throws(() => generator({ seed: -1 }), RangeError);
  assert.throws(() => generator({ invalidRate: 2 }), RangeError);
  assert.throws(() => generator({ invalidRate: NaN }), RangeError);
  assert.throws(() => generator({ catalog: createCatalog([]) }), /no products/);
});

Deno.test("the same seed gives the same orders, another seed others", () => {
  const take = (seed: number) => {
    const g = generator({ seed });
    return Array.from({ length: 200 }, () => g.next());
  };
  assert.deepEqual(take(7), take(7));
  assert.notDeepEqual(take(7).map((o) => o.type), take(8).map((o) => o.type));
  const a = createRandom(1), b = createRandom(1);
  for (let i = 0; i < 100; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
  }
});

Deno.test("ids are ord-<seed>-<n>, unique, counted", () => {
  const g = generator({ seed: 42 });
  const ids = Array.from({ length: 1000 }, () => g.next().orderId);
  assert.equal(ids[0], "ord-42-1");
  assert.equal(ids[999], "ord-42-1000");
  assert.equal(new Set(ids).size, 1000);
  assert.equal(g.count, 1000);
});

Deno.test("the mix is honoured", () => {
  const g = generator();
  const counts: Record<string, number> = {};
  for (let i = 0; i < 10_000; i++) {
    const { type } = g.next();
    counts[type] = (counts[type] ?? 0) + 1;
  }
  assert.deepEqual(Object.keys(counts).sort(), ["delivery", "inventory", "return"]);
  assert.ok(Math.abs(counts.inventory / 10_000 - 0.45) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.delivery / 10_000 - 0.45) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.return / 10_000 - 0.1) < 0.02, JSON.stringify(counts));
  const only = generator({ mix: { delivery: 1, inventory: 0 } });
  for (let i = 0; i < 100; i++) assert.equal(only.next().type, "delivery");
});

Deno.test("every generated order is valid, routes, and encodes with avsc", () => {
  const inventoryV1 = avro.Type.forSchema(INVENTORY_ORDER_SCHEMA as avro.Schema);
  const inventoryV2 = avro.Type.forSchema(INVENTORY_ORDER_SCHEMA_V2 as avro.Schema);
  const delivery = avro.Type.forSchema(DELIVERY_ORDER_SCHEMA as avro.Schema);
  const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));
  const g = generator({
    mix: { inventory: 1, delivery: 1, return: 1, exchange: 1, "gift-card": 1 },
  });
  const movements = new Set<string>();
  const carriers = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const { order, defect } = g.nextSample();
    assert.equal(defect, null);
    const result = validateForType(order, order.type);
    assert.ok(result.ok, `${order.orderId}: ${result.ok || formatProblems(result.problems)}`);
    assert.deepEqual(result.order, order, "the generator writes only model fields");
    assert.equal(order.createdAt, new Date(NOW).toISOString());
    if (order.type === "inventory") {
      movements.add(order.movement!);
      for (const record of toInventoryOrders(order, NOW + 1, DEFAULT_CATALOG)) {
        assert.ok(inventoryV1.isValid(record, { noUndeclaredFields: true }));
        assert.deepEqual(plain(inventoryV1.fromBuffer(inventoryV1.toBuffer(record))), record);
      }
      for (const record of toInventoryOrdersV2(order, NOW + 1, DEFAULT_CATALOG)) {
        assert.ok(record.warehouse, "catalog products have a warehouse");
        assert.deepEqual(plain(inventoryV2.fromBuffer(inventoryV2.toBuffer(record))), record);
      }
    } else if (order.type === "delivery") {
      const details = order.delivery!;
      carriers.add(details.carrier);
      assert.ok(Date.parse(details.window.from) > NOW, "the window is in the future");
      const record = toDeliveryOrder(order as RawDeliveryOrder, NOW + 1, DEFAULT_CATALOG);
      assert.ok(delivery.isValid(record, { noUndeclaredFields: true }));
      assert.deepEqual(plain(delivery.fromBuffer(delivery.toBuffer(record))), record);
    } else {
      assert.ok(!isRoutedType(order.type));
      assert.equal(order.delivery, undefined);
      assert.equal(order.movement, undefined);
    }
  }
  assert.deepEqual([...movements].sort(), ["release", "reserve", "restock"]);
  assert.deepEqual([...carriers].sort(), [...KNOWN_CARRIERS].sort());
});

Deno.test("deliberately invalid orders fail validation, each for its one defect", () => {
  const g = generator({ invalidRate: 0.3 });
  const expectedPath: Record<string, RegExp> = {
    "negative-quantity": /^items\[\d+\]\.quantity$/,
    "negative-price": /^items\[\d+\]\.unitPrice$/,
    "total-mismatch": /^total$/,
    "bad-created-at": /^createdAt$/,
    "no-items": /^items$/,
    "bad-movement": /^movement$/,
    "missing-delivery": /^delivery$/,
    "bad-country": /^delivery\.address\.country$/,
    "reversed-window": /^delivery\.window\.to$/,
  };
  const seen = new Set<string>();
  let invalid = 0;
  for (let i = 0; i < 3000; i++) {
    const { order, defect } = g.nextSample();
    const result = validateOrder(order);
    if (defect === null) {
      assert.ok(result.ok, order.orderId);
      continue;
    }
    invalid++;
    seen.add(defect);
    assert.equal(result.ok, false, `${defect} should be invalid`);
    const problems = (result as { problems: { path: string }[] }).problems;
    assert.equal(problems.length, 1, `${defect}: ${JSON.stringify(problems)}`);
    assert.match(problems[0].path, expectedPath[defect], defect);
  }
  assert.deepEqual([...seen].sort(), [...DEFECTS].sort());
  assert.ok(Math.abs(invalid / 3000 - 0.3) < 0.03, String(invalid));
});

Deno.test("invalidRate breaks some orders but does not change the others", () => {
  const clean = generator();
  const noisy = generator({ invalidRate: 0.5 });
  for (let i = 0; i < 500; i++) {
    const a = clean.next();
    const b = noisy.nextSample();
    assert.equal(b.order.orderId, a.orderId);
    assert.equal(b.order.type, a.type);
    if (b.defect === null) assert.deepEqual(b.order, a);
  }
});

Deno.test("the clock is read per order", () => {
  let t = NOW;
  const g = generator({ now: () => (t += 1000) });
  assert.equal(g.next().createdAt, new Date(NOW + 1000).toISOString());
  assert.equal(g.next().createdAt, new Date(NOW + 2000).toISOString());
});
