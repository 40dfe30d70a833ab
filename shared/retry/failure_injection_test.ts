import assert from "node:assert/strict";
import { ConfigError } from "../config.ts";
import { classifyFailure } from "./classify.ts";
import { createFailureInjector } from "./failure_injection.ts";

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

Deno.test("a rate fails about that share of attempts", () => {
  let i = 0;
  const inject = createFailureInjector(
    { poisonOrders: [], flakyOrders: [], failureRate: 0.1 },
    () => (i++ % 10) / 10,
  );
  const failures = Array.from({ length: 100 }, () => inject.failure("o", 1)).filter(Boolean);
  assert.equal(failures.length, 10);
});

Deno.test("a malformed flaky entry is refused, naming the flag", () => {
  assert.throws(
    () => createFailureInjector({ poisonOrders: [], flakyOrders: ["o-1"], failureRate: 0 }),
    (err: unknown) => err instanceof ConfigError && err.flag === "injectFlakyOrders",
  );
});
