import assert from "node:assert/strict";
import { createCatalog, DEFAULT_CATALOG, PRODUCTS } from "./catalog.ts";
import { validateRawOrder } from "./validate.ts";

Deno.test("the default catalog: about twenty products, unique SKUs, prices in cents", () => {
  assert.equal(PRODUCTS.length, 20);
  assert.equal(DEFAULT_CATALOG.products.length, PRODUCTS.length);
  assert.equal(new Set(PRODUCTS.map((p) => p.sku)).size, PRODUCTS.length);
  for (const p of PRODUCTS) {
    assert.match(p.sku, /^SKU-\d{4}$/);
    assert.ok(p.name && p.category && p.warehouse, p.sku);
    assert.equal(DEFAULT_CATALOG.get(p.sku), DEFAULT_CATALOG.products.find((q) => q.sku === p.sku));
    // Every product can be ordered as listed.
    const order = {
      orderId: "o",
      type: "inventory",
      customerId: "c",
      items: [{ sku: p.sku, quantity: 1, unitPrice: p.unitPrice }],
      createdAt: "2024-06-18T12:34:56Z",
    };
    assert.ok(validateRawOrder(order).ok, p.sku);
  }
  assert.equal(DEFAULT_CATALOG.get("SKU-1001")?.name, "Wireless Mouse");
  assert.equal(DEFAULT_CATALOG.get("SKU-0000"), undefined);
});

Deno.test("createCatalog refuses duplicate SKUs and impossible prices", () => {
  const p = { sku: "A", name: "a", category: "c", unitPrice: 1, warehouse: "W" };
  assert.throws(() => createCatalog([p, { ...p }]), /catalog\[1\]\.sku: duplicate SKU A/);
  assert.throws(() => createCatalog([{ ...p, sku: "" }]), /catalog\[0\]\.sku/);
  assert.throws(() => createCatalog([{ ...p, unitPrice: -1 }]), /catalog\[0\]\.unitPrice/);
  assert.throws(() => createCatalog([{ ...p, unitPrice: 1.234 }]), /catalog\[0\]\.unitPrice/);
  assert.deepEqual(createCatalog([]).products, []);
});

Deno.test("a catalog's products cannot be changed behind its back", () => {
  const source = [{ sku: "A", name: "a", category: "c", unitPrice: 1, warehouse: "W" }];
  const catalog = createCatalog(source);
  source[0].name = "changed";
  assert.equal(catalog.get("A")?.name, "a");
  assert.throws(() => {
    (catalog.get("A") as { name: string }).name = "x";
  }, TypeError);
});
