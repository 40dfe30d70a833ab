import assert from "node:assert/strict";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { createOrderGenerator, DEFECTS } from "../orders/generate.ts";
import { formatProblems, validateForType } from "../orders/validate.ts";
import { failureRules, MASK, normaliseField, ruleKey, sampleOf } from "./failure_rule.ts";

/** The reason the routing producers write for `order` (shared/router/routing_spec.ts). */
function reasonOf(order: unknown): string {
  const result = validateForType(order, "inventory");
  assert.ok(!result.ok, "the order is invalid");
  return formatProblems(result.problems);
}

function inventoryOrder(items: unknown[], extra: Record<string, unknown> = {}) {
  return {
    orderId: "ord-1",
    type: "inventory",
    customerId: "cust-1",
    items,
    createdAt: "2026-01-01T00:00:00Z",
    ...extra,
  };
}

Deno.test("array indexes are dropped from a field", () => {
  assert.equal(normaliseField("items[3].quantity"), "items[].quantity");
  assert.equal(normaliseField("a[0].b[12].c"), "a[].b[].c");
  assert.equal(normaliseField("delivery.window.to"), "delivery.window.to");
});

Deno.test("the validator's reasons for different values and lines share one key", () => {
  const reasons = [
    reasonOf(inventoryOrder([{ sku: "S-1", quantity: -1, unitPrice: 1 }])),
    reasonOf(inventoryOrder([{ sku: "S-1", quantity: 1, unitPrice: 1 }, {
      sku: "S-2",
      quantity: 0,
      unitPrice: 1,
    }])),
    reasonOf(inventoryOrder([{ sku: "S-1", quantity: 2.5, unitPrice: 1 }])),
  ];
  assert.deepEqual(
    reasons.map(ruleKey),
    Array(3).fill(
      "items[].quantity: must be a positive whole number",
    ),
  );
  assert.deepEqual(reasons.map(sampleOf), ["-1", "0", "2.5"]);
});

Deno.test("a total that does not add up keeps its rule apart from its values", () => {
  const reason = reasonOf(
    inventoryOrder([{ sku: "S-1", quantity: 2, unitPrice: 5 }], { total: 11 }),
  );
  assert.equal(ruleKey(reason), "total: must equal the sum of the items");
  assert.equal(sampleOf(reason), "11 (the items sum to 10.00)");
});

Deno.test("several problems: one rule per field and rule, in the reason's order", () => {
  const reason = reasonOf(inventoryOrder([
    { sku: "S-1", quantity: 0, unitPrice: 1 },
    { sku: "S-2", quantity: -3, unitPrice: 1 },
  ], { currency: "eur" }));
  assert.deepEqual(failureRules(reason), [
    { field: "items[].quantity", rule: "must be a positive whole number", values: ["0", "-3"] },
    {
      field: "currency",
      rule: "must be an ISO 4217 code of 3 capital letters, such as EUR",
      values: ['"eur"'],
    },
  ]);
  assert.equal(
    ruleKey(reason),
    "items[].quantity: must be a positive whole number; " +
      "currency: must be an ISO 4217 code of 3 capital letters, such as EUR",
  );
  assert.equal(sampleOf(reason), 'items[].quantity=0, -3; currency="eur"');
});

Deno.test("a rule without a value has no sample; limits in a rule stay in it", () => {
  assert.equal(ruleKey("customerId: is required"), "customerId: is required");
  assert.equal(sampleOf("customerId: is required"), undefined);
  assert.equal(
    ruleKey("items[0].sku: must be at most 64 characters, got 80"),
    "items[].sku: must be at most 64 characters",
  );
});

Deno.test("a rule's own quoted text stays when the value is named after 'got'", () => {
  assert.equal(ruleKey('type: must be "inventory", got "delivery"'), 'type: must be "inventory"');
  assert.equal(sampleOf('type: must be "inventory", got "delivery"'), '"delivery"');
});

Deno.test("the consumers' reasons name the field first and the order last", () => {
  const reasons = [
    "quantity: must be a positive number on a numbered line, got 0 on line 2 of ord-1",
    "quantity: must be a positive number on a numbered line, got -5 on line 0 of ord-9",
  ];
  assert.deepEqual(
    [...new Set(reasons.map(ruleKey))],
    ["quantity: must be a positive number on a numbered line"],
  );
  assert.equal(sampleOf(reasons[1]), "-5 on line 0 of ord-9");
});

Deno.test("quoted values inside a rule are masked (the router's unknown type)", () => {
  const reason = 'type: unknown order type "gift-card" (known: inventory, delivery, return)';
  assert.equal(
    ruleKey(reason),
    `type: unknown order type ${MASK} (known: inventory, delivery, return)`,
  );
  assert.equal(sampleOf(reason), '"gift-card"');
});

Deno.test("other reasons group by their text before the first colon", () => {
  assert.equal(ruleKey("not JSON: Unexpected token 'o', \"nope\" is not valid JSON"), "not JSON");
  assert.equal(ruleKey("not JSON: Unexpected end; of input"), "not JSON");
  assert.equal(sampleOf("not JSON: Unexpected end; of input"), "Unexpected end; of input");
  assert.equal(ruleKey("empty record (no value)"), "empty record (no value)");
  assert.equal(ruleKey("database is locked"), "database is locked");
  assert.equal(ruleKey(""), "");
});

Deno.test("the load generator's deliberately invalid orders make one rule per defect, not per value", () => {
  // As in the demo: every kind of defect, on inventory and delivery orders.
  const generator = createOrderGenerator({
    seed: 7,
    mix: { inventory: 1, delivery: 1 },
    catalog: DEFAULT_CATALOG,
    now: () => Date.parse("2026-01-01T00:00:00Z"),
    invalidRate: 1,
  });
  const reasons: string[] = [];
  const defects = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { order, defect } = generator.nextSample();
    const result = validateForType(order, order.type);
    assert.ok(!result.ok, `a ${defect} order is invalid`);
    reasons.push(formatProblems(result.problems));
    defects.add(defect!);
  }
  const rules = new Set(reasons.map(ruleKey));
  assert.equal(defects.size, DEFECTS.length, "every defect was generated");
  assert.ok(new Set(reasons).size > 3 * rules.size, "the reasons differ by value");
  assert.ok(rules.size <= DEFECTS.length, [...rules].join("\n"));
});
