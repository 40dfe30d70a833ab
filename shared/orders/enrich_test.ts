import assert from "node:assert/strict";
import avro from "avsc";
import { createCatalog, DEFAULT_CATALOG } from "./catalog.ts";
import type { RawDeliveryOrder, RawOrder } from "./model.ts";
import {
  deliveryKey,
  inventoryKey,
  orderTotal,
  rawOrderKey,
  roundCents,
  toDeliveryOrder,
  toInventoryOrders,
  toInventoryOrdersV2,
} from "./enrich.ts";
import {
  DELIVERY_ORDER_SCHEMA,
  INVENTORY_ORDER_SCHEMA,
  INVENTORY_ORDER_SCHEMA_V2,
} from "./schemas.ts";
import { TEST_ADDRESS } from "./test_orders.ts";

const ROUTED_AT = Date.UTC(2024, 5, 18, 12, 35, 0);

const INVENTORY: RawOrder = {
  orderId: "ord-1",
  type: "inventory",
  customerId: "cust-7",
  items: [
    { sku: "SKU-1001", quantity: 2, unitPrice: 24.99, productName: "Sender's mouse" },
    { sku: "SKU-X", quantity: 1, unitPrice: 5, productName: "Mystery box" },
    { sku: "SKU-Y", quantity: 3, unitPrice: 0.1 },
  ],
  createdAt: "2024-06-18T12:34:56Z",
};

const DELIVERY: RawDeliveryOrder = {
  orderId: "ord-2",
  type: "delivery",
  customerId: "cust-8",
  items: [
    { sku: "SKU-1003", quantity: 1, unitPrice: 249 },
    { sku: "SKU-Z", quantity: 2, unitPrice: 1.15 },
  ],
  total: 251.3,
  currency: "USD",
  createdAt: "2024-06-18T14:34:56+02:00",
  delivery: {
    address: TEST_ADDRESS,
    carrier: "postnl",
    window: { from: "2024-06-20T09:00:00Z", to: "2024-06-20T12:00:00Z" },
  },
};

/** An avsc-decoded value as plain data: decoded records are class instances. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

Deno.test("orderTotal sums in cents", () => {
  assert.equal(orderTotal([]), 0);
  assert.equal(orderTotal([{ quantity: 3, unitPrice: 0.1 }]), 0.3);
  assert.equal(
    orderTotal([{ quantity: 2, unitPrice: 24.99 }, { quantity: 1, unitPrice: 0.01 }]),
    49.99,
  );
  assert.equal(orderTotal([{ quantity: 10000, unitPrice: 1234567.89 }]), 12345678900);
  assert.equal(roundCents(1.005 + 0.0001), 1.01);
  assert.equal(roundCents(2.344), 2.34);
});

Deno.test("inventory: one record per line, defaults and enrichment", () => {
  const records = toInventoryOrders(INVENTORY, ROUTED_AT, DEFAULT_CATALOG);
  // What every line of the order carries alike.
  const ofTheOrder = {
    orderId: "ord-1",
    lineCount: 3,
    movement: "RESERVE",
    customerId: "cust-7",
    orderTotal: 55.28, // computed: the order has no total
    currency: "EUR",
    createdAt: Date.UTC(2024, 5, 18, 12, 34, 56),
    routedAt: ROUTED_AT,
  };
  assert.deepEqual(records, [
    {
      ...ofTheOrder,
      lineIndex: 0,
      sku: "SKU-1001",
      productName: "Wireless Mouse", // the catalog wins for SKUs it knows
      quantity: 2,
      unitPrice: 24.99,
    },
    {
      ...ofTheOrder,
      lineIndex: 1,
      sku: "SKU-X",
      productName: "Mystery box", // unknown SKU: the sender's name
      quantity: 1,
      unitPrice: 5,
    },
    {
      ...ofTheOrder,
      lineIndex: 2,
      sku: "SKU-Y",
      productName: "", // unknown SKU, no name: empty, not an error
      quantity: 3,
      unitPrice: 0.1,
    },
  ]);
});

Deno.test("inventory: movement uppercased, given total and currency kept", () => {
  for (
    const [movement, expected] of [
      ["reserve", "RESERVE"],
      ["restock", "RESTOCK"],
      ["release", "RELEASE"],
    ] as const
  ) {
    const [record] = toInventoryOrders(
      { ...INVENTORY, movement, total: 55.28, currency: "GBP" },
      ROUTED_AT,
      DEFAULT_CATALOG,
    );
    assert.equal(record.movement, expected);
    assert.equal(record.orderTotal, 55.28);
    assert.equal(record.currency, "GBP");
  }
  // A total within validation's half-cent tolerance is stored rounded to cents.
  const [record] = toInventoryOrders({ ...INVENTORY, total: 55.2849 }, ROUTED_AT, DEFAULT_CATALOG);
  assert.equal(record.orderTotal, 55.28);
});

Deno.test("inventory v2: the warehouse from the catalog, null when unknown", () => {
  const records = toInventoryOrdersV2(INVENTORY, ROUTED_AT, DEFAULT_CATALOG);
  assert.deepEqual(records.map((r) => r.warehouse), ["AMS-1", null, null]);
  const v1 = toInventoryOrders(INVENTORY, ROUTED_AT, DEFAULT_CATALOG);
  assert.deepEqual(records.map(({ warehouse: _, ...rest }) => rest), v1);
});

Deno.test("any lookup by SKU serves as the catalog, a Map too", () => {
  const catalog = new Map([["SKU-X", { ...DEFAULT_CATALOG.get("SKU-1001")!, sku: "SKU-X" }]]);
  const records = toInventoryOrders(INVENTORY, ROUTED_AT, catalog);
  assert.deepEqual(records.map((r) => r.productName), ["Sender's mouse", "Wireless Mouse", ""]);
  const empty = createCatalog([]);
  assert.deepEqual(
    toInventoryOrders(INVENTORY, ROUTED_AT, empty).map((r) => r.productName),
    ["Sender's mouse", "Mystery box", ""],
  );
});

Deno.test("delivery: one record with items, address, window in epoch ms", () => {
  assert.deepEqual(toDeliveryOrder(DELIVERY, ROUTED_AT, DEFAULT_CATALOG), {
    orderId: "ord-2",
    customerId: "cust-8",
    items: [
      { sku: "SKU-1003", productName: "27-inch Monitor", quantity: 1, unitPrice: 249 },
      { sku: "SKU-Z", productName: "", quantity: 2, unitPrice: 1.15 },
    ],
    total: 251.3,
    currency: "USD",
    address: TEST_ADDRESS,
    carrier: "postnl",
    windowFrom: Date.UTC(2024, 5, 20, 9),
    windowTo: Date.UTC(2024, 5, 20, 12),
    createdAt: Date.UTC(2024, 5, 18, 12, 34, 56),
    routedAt: ROUTED_AT,
  });
  const { total: _, currency: __, ...bare } = DELIVERY;
  const record = toDeliveryOrder(bare as RawDeliveryOrder, ROUTED_AT, DEFAULT_CATALOG);
  assert.equal(record.total, 251.3);
  assert.equal(record.currency, "EUR");
});

Deno.test("routing does not share or change the order's objects", () => {
  const order = structuredClone(DELIVERY);
  const record = toDeliveryOrder(order, ROUTED_AT, DEFAULT_CATALOG);
  record.address.city = "Elsewhere";
  record.items[0].quantity = 99;
  assert.deepEqual(order, DELIVERY);
});

Deno.test("keys: the SKU for stock movements, the order id for deliveries", () => {
  const records = toInventoryOrders(INVENTORY, ROUTED_AT, DEFAULT_CATALOG);
  assert.deepEqual(records.map(inventoryKey), ["SKU-1001", "SKU-X", "SKU-Y"]);
  assert.equal(deliveryKey(toDeliveryOrder(DELIVERY, ROUTED_AT, DEFAULT_CATALOG)), "ord-2");
  assert.equal(rawOrderKey(INVENTORY), "ord-1");
});

Deno.test("routed records encode with their Avro schemas and decode unchanged", () => {
  const v1 = avro.Type.forSchema(INVENTORY_ORDER_SCHEMA as avro.Schema);
  const v2 = avro.Type.forSchema(INVENTORY_ORDER_SCHEMA_V2 as avro.Schema);
  const delivery = avro.Type.forSchema(DELIVERY_ORDER_SCHEMA as avro.Schema);
  for (const record of toInventoryOrders(INVENTORY, ROUTED_AT, DEFAULT_CATALOG)) {
    assert.ok(v1.isValid(record, { noUndeclaredFields: true }));
    assert.deepEqual(plain(v1.fromBuffer(v1.toBuffer(record))), record);
  }
  for (const record of toInventoryOrdersV2(INVENTORY, ROUTED_AT, DEFAULT_CATALOG)) {
    assert.ok(v2.isValid(record, { noUndeclaredFields: true }));
    assert.deepEqual(plain(v2.fromBuffer(v2.toBuffer(record))), record);
  }
  const record = toDeliveryOrder(DELIVERY, ROUTED_AT, DEFAULT_CATALOG);
  assert.ok(delivery.isValid(record, { noUndeclaredFields: true }));
  assert.deepEqual(plain(delivery.fromBuffer(delivery.toBuffer(record))), record);
});
