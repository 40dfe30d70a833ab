import assert from "node:assert/strict";
import avro from "avsc";
import { checkCompatibility, parseAvroSchema } from "../registry/compatibility.ts";
import { createRegistryHandler, REGISTRY_CONTENT_TYPE } from "../registry/http.ts";
import { RegistryState } from "../registry/state.ts";
import { DEFAULT_CATALOG } from "./catalog.ts";
import type { DeliveryOrder, InventoryOrder, InventoryOrderV2 } from "./model.ts";
import { toDeliveryOrder, toInventoryOrders, toInventoryOrdersV2 } from "./enrich.ts";
import {
  type AvroRecordSchema,
  DELIVERY_ORDER_SCHEMA,
  DELIVERY_ORDERS_SUBJECT,
  INVENTORY_ORDER_SCHEMA,
  INVENTORY_ORDER_SCHEMA_V2,
  INVENTORY_ORDERS_SUBJECT,
  SCHEMA_HISTORY,
  valueSubject,
} from "./schemas.ts";

const typeOf = (schema: AvroRecordSchema) => avro.Type.forSchema(schema as avro.Schema);
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value));

const ROUTED_AT = Date.UTC(2024, 5, 18, 12, 35);
const ORDER = {
  orderId: "ord-1",
  type: "delivery" as const,
  customerId: "cust-7",
  items: [
    { sku: "SKU-1001", quantity: 2, unitPrice: 24.99 },
    { sku: "SKU-UNKNOWN", quantity: 1, unitPrice: 3 },
  ],
  createdAt: "2024-06-18T12:34:56Z",
  movement: "restock" as const,
  delivery: {
    address: { name: "A", street: "S 1", city: "C", postalCode: "1000", country: "BE" },
    carrier: "dhl",
    window: { from: "2024-06-20T09:00:00Z", to: "2024-06-20T12:00:00Z" },
  },
};
const INVENTORY_V1: InventoryOrder[] = toInventoryOrders(ORDER, ROUTED_AT, DEFAULT_CATALOG);
const INVENTORY_V2: InventoryOrderV2[] = toInventoryOrdersV2(ORDER, ROUTED_AT, DEFAULT_CATALOG);
const DELIVERY: DeliveryOrder = toDeliveryOrder(ORDER, ROUTED_AT, DEFAULT_CATALOG);

Deno.test("the schema files load as Avro records in com.orderpipeline", () => {
  for (const schema of [INVENTORY_ORDER_SCHEMA, INVENTORY_ORDER_SCHEMA_V2, DELIVERY_ORDER_SCHEMA]) {
    assert.equal(schema.type, "record");
    assert.equal(schema.namespace, "com.orderpipeline");
    typeOf(schema); // throws if avsc rejects it
    for (const field of schema.fields) {
      assert.ok(field.doc, `${schema.name}.${field.name} has a doc`);
    }
  }
  assert.equal(INVENTORY_ORDER_SCHEMA.name, INVENTORY_ORDER_SCHEMA_V2.name);
});

Deno.test("the schema files are the very files in schemas/", () => {
  for (
    const [file, schema] of [
      ["inventory_order.avsc", INVENTORY_ORDER_SCHEMA],
      ["inventory_order.v2.avsc", INVENTORY_ORDER_SCHEMA_V2],
      ["delivery_order.avsc", DELIVERY_ORDER_SCHEMA],
    ] as const
  ) {
    const text = Deno.readTextFileSync(new URL(`../../schemas/${file}`, import.meta.url));
    assert.deepEqual(schema, JSON.parse(text));
  }
});

Deno.test("the TypeScript records carry exactly the schemas' fields, in order", () => {
  const names = (schema: AvroRecordSchema) => schema.fields.map((f) => f.name);
  assert.deepEqual(Object.keys(INVENTORY_V1[0]), names(INVENTORY_ORDER_SCHEMA));
  assert.deepEqual(Object.keys(INVENTORY_V2[0]), names(INVENTORY_ORDER_SCHEMA_V2));
  assert.deepEqual(Object.keys(DELIVERY), names(DELIVERY_ORDER_SCHEMA));
  const nested = (field: string) => {
    const type = DELIVERY_ORDER_SCHEMA.fields.find((f) => f.name === field)!.type as {
      items?: AvroRecordSchema;
      fields?: AvroRecordSchema["fields"];
    };
    return (type.items?.fields ?? type.fields)!.map((f) => f.name);
  };
  assert.deepEqual(Object.keys(DELIVERY.items[0]), nested("items"));
  assert.deepEqual(Object.keys(DELIVERY.address), nested("address"));
});

Deno.test("the movement enum spells the StockMovement type", () => {
  const movement = INVENTORY_ORDER_SCHEMA.fields.find((f) => f.name === "movement")!;
  assert.deepEqual((movement.type as { symbols: string[] }).symbols, [
    "RESERVE",
    "RESTOCK",
    "RELEASE",
  ]);
  assert.throws(() =>
    typeOf(INVENTORY_ORDER_SCHEMA).toBuffer({ ...INVENTORY_V1[0], movement: "STEAL" })
  );
});

Deno.test("timestamps are long epoch ms numbers: no logical type is registered", () => {
  const decoded = typeOf(DELIVERY_ORDER_SCHEMA).fromBuffer(
    typeOf(DELIVERY_ORDER_SCHEMA).toBuffer(DELIVERY),
  ) as DeliveryOrder;
  // The delivery order's instants, epoch milliseconds in and out.
  const instants = ["windowFrom", "windowTo", "createdAt", "routedAt"] as const;
  for (const key of instants) {
    assert.equal(typeof decoded[key], "number");
    assert.equal(decoded[key], DELIVERY[key]);
  }
  const timestamps = DELIVERY_ORDER_SCHEMA.fields.filter((f) =>
    (f.type as { logicalType?: string }).logicalType === "timestamp-millis"
  );
  assert.deepEqual(timestamps.map((f) => f.name), instants);
});

Deno.test("v2 reads v1 data (warehouse null) and v1 reads v2 data (warehouse skipped)", () => {
  const v1 = typeOf(INVENTORY_ORDER_SCHEMA);
  const v2 = typeOf(INVENTORY_ORDER_SCHEMA_V2);
  const v2ReadsV1 = v2.createResolver(v1);
  const v1ReadsV2 = v1.createResolver(v2);
  for (const [i, record] of INVENTORY_V1.entries()) {
    assert.deepEqual(plain(v2.fromBuffer(v1.toBuffer(record), v2ReadsV1)), {
      ...record,
      warehouse: null,
    });
    const withWarehouse = INVENTORY_V2[i];
    assert.deepEqual(plain(v1.fromBuffer(v2.toBuffer(withWarehouse), v1ReadsV2)), record);
  }
  assert.deepEqual(INVENTORY_V2.map((r) => r.warehouse), ["AMS-1", null]);
  // A v2 writer that leaves warehouse out writes the default.
  const { warehouse: _, ...without } = INVENTORY_V2[0];
  assert.equal((v2.fromBuffer(v2.toBuffer(without)) as InventoryOrderV2).warehouse, null);
});

Deno.test("the registry's compatibility rules accept the evolution at FULL_TRANSITIVE", () => {
  const v1 = parseAvroSchema(JSON.stringify(INVENTORY_ORDER_SCHEMA));
  const v2 = parseAvroSchema(JSON.stringify(INVENTORY_ORDER_SCHEMA_V2));
  assert.deepEqual(checkCompatibility("FULL_TRANSITIVE", v2, [{ version: 1, schema: v1 }]), []);
});

Deno.test("every subject's history registers through the registry API, compatible", async () => {
  const handler = createRegistryHandler({
    state: new RegistryState(),
    journal: { sync: () => Promise.resolve(), append: () => Promise.resolve() },
  });
  const call = async (method: string, path: string, body: unknown) => {
    const res = await handler(
      new Request(`http://registry${path}`, {
        method,
        headers: { "content-type": REGISTRY_CONTENT_TYPE },
        body: JSON.stringify(body),
      }),
    );
    return { status: res.status, body: await res.json() };
  };
  for (const { subject, versions } of SCHEMA_HISTORY) {
    const config = await call("PUT", `/config/${subject}`, { compatibility: "FULL_TRANSITIVE" });
    assert.equal(config.status, 200, JSON.stringify(config.body));
    for (const schema of versions) {
      const check = await call("POST", `/compatibility/subjects/${subject}/versions/latest`, {
        schema: JSON.stringify(schema),
      });
      // 404 before the first version: nothing to be compatible with yet.
      if (check.status !== 404) assert.deepEqual(check.body, { is_compatible: true });
      const registered = await call("POST", `/subjects/${subject}/versions`, {
        schema: JSON.stringify(schema),
      });
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
    }
  }
  // And a breaking change is refused, so the check above means something.
  const breaking = {
    ...INVENTORY_ORDER_SCHEMA_V2,
    fields: [...INVENTORY_ORDER_SCHEMA_V2.fields, { name: "bin", type: "string" }],
  };
  const refused = await call("POST", `/subjects/${INVENTORY_ORDERS_SUBJECT}/versions`, {
    schema: JSON.stringify(breaking),
  });
  assert.equal(refused.status, 409);
});

Deno.test("subjects follow TopicNameStrategy", () => {
  assert.equal(INVENTORY_ORDERS_SUBJECT, "inventory_orders-value");
  assert.equal(DELIVERY_ORDERS_SUBJECT, "delivery_orders-value");
  assert.equal(valueSubject("orders"), "orders-value");
  assert.deepEqual(SCHEMA_HISTORY.map((h) => [h.subject, h.versions.length]), [
    ["inventory_orders-value", 2],
    ["delivery_orders-value", 1],
  ]);
});
