import assert from "node:assert/strict";
import {
  DEFAULT_CURRENCY,
  DEFAULT_MOVEMENT,
  isKnownType,
  isRoutedType,
  KNOWN_TYPES,
  MOVEMENTS,
  ROUTED_TYPES,
} from "./model.ts";

Deno.test("routed types are known types; other kinds are neither routed nor errors", () => {
  assert.deepEqual([...ROUTED_TYPES], ["inventory", "delivery"]);
  for (const type of ROUTED_TYPES) assert.ok(isKnownType(type));
  assert.ok(isKnownType("return") && !isRoutedType("return"));
  assert.ok(isKnownType("exchange") && !isRoutedType("exchange"));
  assert.ok(!isKnownType("gift-card") && !isRoutedType("gift-card"));
  assert.ok(!isRoutedType("Inventory"));
  assert.equal(KNOWN_TYPES.length, 4);
});

Deno.test("defaults are among the allowed values", () => {
  assert.ok(MOVEMENTS.includes(DEFAULT_MOVEMENT));
  assert.match(DEFAULT_CURRENCY, /^[A-Z]{3}$/);
});
