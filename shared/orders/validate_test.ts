import assert from "node:assert/strict";
import {
  formatProblems,
  parseDateTime,
  parseOrderJson,
  type Problem,
  validateDeliveryOrder,
  validateForType,
  validateInventoryOrder,
  validateOrder,
  validateRawOrder,
  type ValidationResult,
} from "./validate.ts";
import type { RawOrder } from "./model.ts";
import { TEST_ADDRESS } from "./test_orders.ts";

const INVENTORY = {
  orderId: "ord-1",
  type: "inventory",
  customerId: "cust-7",
  items: [
    { sku: "SKU-1001", quantity: 2, unitPrice: 24.99 },
    { sku: "SKU-1002", quantity: 1, unitPrice: 89.9, productName: "Keyboard" },
  ],
  total: 139.88,
  currency: "EUR",
  createdAt: "2024-06-18T12:34:56Z",
  movement: "reserve",
};

const DELIVERY = {
  orderId: "ord-2",
  type: "delivery",
  customerId: "cust-8",
  items: [{ sku: "SKU-1003", quantity: 1, unitPrice: 249 }],
  createdAt: "2024-06-18T12:34:56.789+02:00",
  delivery: {
    address: TEST_ADDRESS,
    carrier: "postnl",
    window: { from: "2024-06-20T09:00:00Z", to: "2024-06-20T12:00:00Z" },
  },
};

/** A deep copy of `base` with `change` applied to it. */
// deno-lint-ignore no-explicit-any
function variant(base: object, change: (o: Record<string, any>) => void): unknown {
  // deno-lint-ignore no-explicit-any
  const copy = structuredClone(base) as Record<string, any>;
  change(copy);
  return copy;
}

function problemsOf(result: ValidationResult<RawOrder>): Problem[] {
  assert.equal(result.ok, false, "expected the order to be invalid");
  return (result as { problems: Problem[] }).problems;
}

/** Asserts `input` fails with exactly these `path: message` problems. */
function assertProblems(result: ValidationResult<RawOrder>, expected: string[]): void {
  assert.deepEqual(problemsOf(result).map((p) => formatProblems([p])), expected);
}

Deno.test("valid inventory and delivery orders pass and come back clean", () => {
  const inv = validateInventoryOrder(INVENTORY);
  assert.ok(inv.ok);
  assert.deepEqual(inv.order, INVENTORY);
  const del = validateDeliveryOrder(DELIVERY);
  assert.ok(del.ok);
  assert.deepEqual(del.order, DELIVERY);
  assert.ok(validateForType(INVENTORY, "inventory").ok);
  assert.ok(validateForType(DELIVERY, "delivery").ok);
  assert.ok(validateOrder(DELIVERY).ok);
});

Deno.test("unknown fields are dropped, nothing is defaulted", () => {
  const result = validateRawOrder(variant(INVENTORY, (o) => {
    o.extra = "x";
    o.items[0].color = "red";
    delete o.currency;
    delete o.movement;
    delete o.total;
  }));
  assert.ok(result.ok);
  assert.equal("extra" in result.order, false);
  assert.equal("color" in result.order.items[0], false);
  assert.equal(result.order.currency, undefined);
  assert.equal(result.order.movement, undefined);
  assert.equal(result.order.total, undefined);
});

Deno.test("other kinds are valid raw orders", () => {
  for (const type of ["return", "exchange", "gift-card"]) {
    const result = validateRawOrder(variant(INVENTORY, (o) => {
      o.type = type;
      delete o.movement;
    }));
    assert.ok(result.ok, type);
    assert.ok(validateOrder(variant(INVENTORY, (o) => o.type = type)).ok, type);
  }
});

Deno.test("the root must be an object", () => {
  assertProblems(validateRawOrder(null), ["must be a JSON object, got null"]);
  assertProblems(validateRawOrder([INVENTORY]), ["must be a JSON object, got array"]);
  assertProblems(validateRawOrder("order"), ["must be a JSON object, got string"]);
  assertProblems(validateForType(42, "delivery"), ["must be a JSON object, got number"]);
});

Deno.test("every missing required field is named", () => {
  assertProblems(validateRawOrder({}), [
    "orderId: is required",
    "type: is required",
    "customerId: is required",
    "items: is required",
    "createdAt: is required",
  ]);
});

Deno.test("wrong field types say what was expected and what came", () => {
  assertProblems(
    validateRawOrder({
      orderId: 17,
      type: null,
      customerId: ["c"],
      items: { sku: "x" },
      total: "12.00",
      currency: 978,
      createdAt: 1718714096000,
    }),
    [
      "orderId: must be a string, got number",
      "type: must be a string, got null",
      "customerId: must be a string, got array",
      "items: must be an array, got object",
      "total: must be a number, got string",
      "currency: must be a string, got number",
      "createdAt: must be a string, got number",
    ],
  );
});

Deno.test("ids, type and currency formats", () => {
  assertProblems(
    validateRawOrder(variant(INVENTORY, (o) => {
      o.orderId = "ord 1/2";
      o.type = "Inventory";
      o.customerId = "  ";
      o.currency = "eur";
    })),
    [
      `orderId: may contain only letters, digits, '.', '_', ':' and '-', got "ord 1/2"`,
      `type: must be a lowercase kind such as inventory or delivery, got "Inventory"`,
      "customerId: must not be empty",
      `currency: must be an ISO 4217 code of 3 capital letters, such as EUR, got "eur"`,
    ],
  );
  assertProblems(validateRawOrder(variant(INVENTORY, (o) => o.orderId = "x".repeat(65))), [
    "orderId: must be at most 64 characters, got 65",
  ]);
  assert.ok(validateRawOrder(variant(INVENTORY, (o) => o.orderId = "a.b_c:d-E9")).ok);
});

Deno.test("line items: every bad field of every line, with its index", () => {
  assertProblems(
    validateRawOrder(variant(INVENTORY, (o) => {
      o.items = [
        { sku: "SKU-1", quantity: 1, unitPrice: 1 },
        "SKU-2",
        { sku: "", quantity: 0, unitPrice: -1 },
        { sku: "bad sku", quantity: 1.5, unitPrice: 1.234, productName: 5 },
        { quantity: 10001, unitPrice: Infinity },
        { sku: "SKU-6", quantity: -1, unitPrice: NaN },
      ];
    })),
    [
      "items[1]: must be an object, got string",
      "items[2].sku: must not be empty",
      "items[2].quantity: must be a positive whole number, got 0",
      "items[2].unitPrice: must not be negative, got -1",
      `items[3].sku: must be letters, digits, '.', '_' or '-', starting with a letter or digit, got "bad sku"`,
      "items[3].quantity: must be a positive whole number, got 1.5",
      "items[3].unitPrice: must have at most 2 decimal places, got 1.234",
      "items[3].productName: must be a string, got number",
      "items[4].sku: is required",
      "items[4].quantity: must be at most 10000, got 10001",
      "items[4].unitPrice: must be a finite number, got Infinity",
      "items[5].quantity: must be a positive whole number, got -1",
      "items[5].unitPrice: must be a finite number, got NaN",
    ],
  );
});

Deno.test("items: empty, too many (reported once, not per line)", () => {
  assertProblems(validateRawOrder(variant(INVENTORY, (o) => o.items = [])), [
    "items: must have at least one item",
  ]);
  const many = Array.from({ length: 101 }, () => ({ sku: "S", quantity: -1, unitPrice: 1 }));
  assertProblems(validateRawOrder(variant(INVENTORY, (o) => o.items = many)), [
    "items: must have at most 100 items, got 101",
  ]);
  const hundred = Array.from({ length: 100 }, () => ({ sku: "S", quantity: 1, unitPrice: 0 }));
  assert.ok(
    validateRawOrder(variant(INVENTORY, (o) => {
      o.items = hundred;
      o.total = 0;
    })).ok,
  );
});

Deno.test("prices in cents survive binary floating point", () => {
  for (const unitPrice of [0, 0.01, 0.1, 0.29, 19.99, 1.15, 1234567.89]) {
    const result = validateRawOrder(variant(INVENTORY, (o) => {
      o.items = [{ sku: "S", quantity: 3, unitPrice }];
      delete o.total;
    }));
    assert.ok(result.ok, String(unitPrice));
  }
});

Deno.test("total must match the lines within half a cent", () => {
  assertProblems(validateRawOrder(variant(INVENTORY, (o) => o.total = 139.9)), [
    "total: must equal the sum of the items, got 139.9 (the items sum to 139.88)",
  ]);
  assertProblems(validateRawOrder(variant(INVENTORY, (o) => o.total = -1)), [
    "total: must not be negative, got -1",
  ]);
  assert.ok(validateRawOrder(variant(INVENTORY, (o) => o.total = 139.88)).ok);
  // 0.1 × 3 is 0.30000000000000004 in floating point; summed in cents it is 0.3.
  assert.ok(
    validateRawOrder(variant(INVENTORY, (o) => {
      o.items = [{ sku: "S", quantity: 3, unitPrice: 0.1 }];
      o.total = 0.3;
    })).ok,
  );
  // A bad line makes the sum unknowable: no second, derived complaint about the total.
  assertProblems(
    validateRawOrder(variant(INVENTORY, (o) => o.items[0].quantity = -1)),
    ["items[0].quantity: must be a positive whole number, got -1"],
  );
});

Deno.test("createdAt must be an ISO 8601 date-time with a zone, on a real day", () => {
  const hint = "must be an ISO 8601 date-time with a time zone, such as 2024-06-18T12:34:56Z";
  for (
    const bad of [
      "yesterday",
      "2024-06-18",
      "2024-06-18T12:34:56", // no zone: ambiguous
      "2024-02-30T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-06-18T24:00:00Z",
      "2024-06-18T12:60:00Z",
      "2024-06-18 12:34:56Z",
    ]
  ) {
    assertProblems(validateRawOrder(variant(INVENTORY, (o) => o.createdAt = bad)), [
      `createdAt: ${hint}, got ${JSON.stringify(bad)}`,
    ]);
  }
  for (
    const good of [
      "2024-02-29T00:00:00Z",
      "2024-06-18T12:34Z",
      "2024-06-18T12:34:56.123456+05:30",
      "2024-06-18T12:34:56-08:00",
    ]
  ) {
    assert.ok(validateRawOrder(variant(INVENTORY, (o) => o.createdAt = good)).ok, good);
  }
  assert.equal(parseDateTime("2024-06-18T12:34:56+02:00"), Date.UTC(2024, 5, 18, 10, 34, 56));
  assert.equal(parseDateTime("2023-02-29T00:00:00Z"), undefined);
});

Deno.test("inventory: movement must be a known one, type must be inventory", () => {
  assertProblems(validateInventoryOrder(variant(INVENTORY, (o) => o.movement = "RESERVE")), [
    `movement: must be one of reserve, restock, release, got "RESERVE"`,
  ]);
  assertProblems(validateInventoryOrder(variant(INVENTORY, (o) => o.movement = 1)), [
    "movement: must be a string, got number",
  ]);
  for (const movement of ["reserve", "restock", "release"]) {
    assert.ok(validateInventoryOrder(variant(INVENTORY, (o) => o.movement = movement)).ok);
  }
  assert.ok(validateInventoryOrder(variant(INVENTORY, (o) => delete o.movement)).ok);
  assertProblems(validateInventoryOrder(DELIVERY), [`type: must be "inventory", got "delivery"`]);
});

Deno.test("delivery: the block is required and complete", () => {
  assertProblems(validateDeliveryOrder(variant(DELIVERY, (o) => delete o.delivery)), [
    "delivery: is required for delivery orders",
  ]);
  assertProblems(validateForType(variant(DELIVERY, (o) => delete o.delivery), "delivery"), [
    "delivery: is required for delivery orders",
  ]);
  assertProblems(validateDeliveryOrder(variant(DELIVERY, (o) => o.delivery = "tomorrow")), [
    "delivery: must be an object, got string",
  ]);
  assertProblems(validateDeliveryOrder(variant(DELIVERY, (o) => o.delivery = {})), [
    "delivery.address: is required",
    "delivery.carrier: is required",
    "delivery.window: is required",
  ]);
  assertProblems(
    validateDeliveryOrder(variant(DELIVERY, (o) => {
      o.delivery.address = { name: "", city: 3, postalCode: "1".repeat(17), country: "nl" };
      o.delivery.carrier = "";
      o.delivery.window = { from: "soon" };
    })),
    [
      "delivery.address.name: must not be empty",
      "delivery.address.street: is required",
      "delivery.address.city: must be a string, got number",
      "delivery.address.postalCode: must be at most 16 characters, got 17",
      `delivery.address.country: must be an ISO 3166-1 alpha-2 code of 2 capital letters, such as NL, got "nl"`,
      "delivery.carrier: must not be empty",
      `delivery.window.from: must be an ISO 8601 date-time with a time zone, such as 2024-06-18T12:34:56Z, got "soon"`,
      "delivery.window.to: is required",
    ],
  );
  assertProblems(
    validateDeliveryOrder(variant(DELIVERY, (o) => o.delivery.address.country = "NLD")),
    ["delivery.address.country: must be at most 2 characters, got 3"],
  );
});

Deno.test("delivery: the window runs forward and ends after the order", () => {
  assertProblems(
    validateDeliveryOrder(variant(DELIVERY, (o) => {
      o.delivery.window = { from: "2024-06-20T12:00:00Z", to: "2024-06-20T09:00:00Z" };
    })),
    ["delivery.window.to: must be after delivery.window.from"],
  );
  assertProblems(
    validateDeliveryOrder(variant(DELIVERY, (o) => {
      o.delivery.window = { from: "2024-06-20T12:00:00Z", to: "2024-06-20T12:00:00Z" };
    })),
    ["delivery.window.to: must be after delivery.window.from"],
  );
  assertProblems(
    validateDeliveryOrder(variant(DELIVERY, (o) => {
      o.delivery.window = { from: "2024-06-17T09:00:00Z", to: "2024-06-17T12:00:00Z" };
    })),
    ["delivery.window.to: must be after createdAt: the window is over before the order"],
  );
});

Deno.test("a delivery block on another kind is checked too, but not required", () => {
  assertProblems(
    validateInventoryOrder(variant(INVENTORY, (o) => o.delivery = { carrier: "dhl" })),
    ["delivery.address: is required", "delivery.window: is required"],
  );
  assert.ok(validateRawOrder(variant(DELIVERY, (o) => o.type = "return")).ok);
});

Deno.test("validateForType checks the type and its own rules", () => {
  assertProblems(validateForType(INVENTORY, "delivery"), [
    `type: must be "delivery", got "inventory"`,
    "delivery: is required for delivery orders",
  ]);
  assertProblems(validateForType(INVENTORY, "return"), [`type: must be "return", got "inventory"`]);
  assert.ok(validateForType(variant(INVENTORY, (o) => o.type = "return"), "return").ok);
  // By its own type: a delivery order without its block is refused at the door.
  assertProblems(validateOrder(variant(DELIVERY, (o) => delete o.delivery)), [
    "delivery: is required for delivery orders",
  ]);
  assertProblems(validateOrder({ type: 1 }), [
    "orderId: is required",
    "type: must be a string, got number",
    "customerId: is required",
    "items: is required",
    "createdAt: is required",
  ]);
});

Deno.test("problems from every part of the order come together", () => {
  const problems = problemsOf(validateDeliveryOrder(variant(DELIVERY, (o) => {
    o.orderId = "";
    o.items[0].quantity = -1;
    o.currency = "euro";
    o.delivery.address.country = "Netherlands";
  })));
  assert.deepEqual(problems.map((p) => p.path), [
    "orderId",
    "items[0].quantity",
    "currency",
    "delivery.address.country",
  ]);
});

Deno.test("parseOrderJson: malformed JSON is a problem at the root", () => {
  const result = parseOrderJson("{not json");
  const problems = problemsOf(result);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].path, "");
  assert.match(problems[0].message, /^malformed JSON: /);
  const empty = problemsOf(parseOrderJson(""));
  assert.deepEqual(empty.map((p) => p.path), [""]);
  assert.match(empty[0].message, /^malformed JSON: /);
  assertProblems(parseOrderJson("[]"), ["must be a JSON object, got array"]);
  const ok = parseOrderJson(JSON.stringify(DELIVERY));
  assert.ok(ok.ok);
  assert.deepEqual(ok.order, DELIVERY);
  assertProblems(parseOrderJson(JSON.stringify(DELIVERY), "inventory"), [
    `type: must be "inventory", got "delivery"`,
  ]);
  assertProblems(parseOrderJson(JSON.stringify(variant(DELIVERY, (o) => delete o.delivery))), [
    "delivery: is required for delivery orders",
  ]);
});

Deno.test("formatProblems joins path and message", () => {
  assert.equal(
    formatProblems([
      { path: "", message: "malformed JSON: x" },
      { path: "items[2].quantity", message: "must be a positive whole number, got -1" },
    ]),
    "malformed JSON: x; items[2].quantity: must be a positive whole number, got -1",
  );
});

Deno.test("a customer email is optional, kept when well formed, named when not", () => {
  const withEmail = validateRawOrder({ ...INVENTORY, customerEmail: "ada@example.com" });
  assert.ok(withEmail.ok);
  assert.equal(withEmail.order.customerEmail, "ada@example.com");
  const without = validateRawOrder(INVENTORY);
  assert.ok(without.ok);
  assert.equal("customerEmail" in without.order, false);
  const bad = validateRawOrder({ ...INVENTORY, customerEmail: "ada at example" });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems.map((p) => p.path), ["customerEmail"]);
});
