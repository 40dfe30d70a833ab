import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import { classifyFailure } from "./classify.ts";
import { attemptChance, createFailureInjector } from "./failure_injection.ts";

Deno.test("nothing is injected by default", () => {
  const inject = createFailureInjector({ poisonOrders: [], flakyOrders: [], failureRate: 0 });
  assert.equal(inject.active, false);
  assert.equal(inject.failure("o-1", 1), undefined);
});

Deno.test("poison orders fail always, flaky ones their first N attempts, transiently", () => {
  const inject = createFailureInjector({
    poisonOrders: ["o-p"],
    flakyOrders: ["o-f:2", "ord:with:colons:1"],
    failureRate: 0,
  });
  assert.ok(inject.active);
  for (const attempt of [1, 2, 5]) assert.ok(inject.failure("o-p", attempt));
  assert.ok(inject.failure("o-f", 1));
  assert.ok(inject.failure("o-f", 2));
  assert.equal(inject.failure("o-f", 3), undefined);
  assert.ok(inject.failure("ord:with:colons", 1));
  assert.equal(classifyFailure(inject.failure("o-p", 1)).kind, "transient");
  assert.equal(classifyFailure(inject.failure("o-p", 1)).errorClass, "injected");
});

Deno.test("a rate fails about that share of attempts, the same ones every time", () => {
  const inject = createFailureInjector({ poisonOrders: [], flakyOrders: [], failureRate: 0.1 });
  const ids = Array.from({ length: 2000 }, (_, i) => `ord-${i}`);
  const failing = ids.filter((id) => inject.failure(id, 1));
  assert.ok(failing.length > 150 && failing.length < 250, `${failing.length} of 2000`);
  assert.deepEqual(ids.filter((id) => inject.failure(id, 1)), failing, "deterministic");
  const again = failing.filter((id) => inject.failure(id, 2)).length;
  assert.ok(again < 50, "a later attempt is decided afresh");
});

Deno.test("attemptChance spreads over [0, 1)", () => {
  const values = Array.from({ length: 1000 }, (_, i) => attemptChance(`o-${i}`, 1));
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const low = values.filter((v) => v < 0.5).length;
  assert.ok(low > 430 && low < 570, `${low} below 0.5`);
});

Deno.test("a malformed flaky entry is refused, naming the flag", () => {
  assert.throws(
    () => createFailureInjector({ poisonOrders: [], flakyOrders: ["o-1"], failureRate: 0 }),
    (err: unknown) => err instanceof ConfigError && err.flag === "injectFlakyOrders",
  );
});
