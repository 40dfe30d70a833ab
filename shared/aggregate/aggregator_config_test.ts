import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import { aggregatorConfig, aggregatorSettingsFrom } from "./aggregator_config.ts";

const parse = (args: string[]) => aggregatorConfig.parse(args, () => undefined);

Deno.test("by default the aggregator counts the pipeline's own retry and DLQ topics, and no one else's", () => {
  const { roles } = aggregatorSettingsFrom(parse([]));
  assert.ok(roles.retry.test("orders-inventory-retry-2"));
  assert.ok(roles.retry.test("delivery_events-retry-1"));
  assert.ok(!roles.retry.test("other_app-retry-1"));
  assert.ok(roles.dlq.test("inventory_orders-dlq"));
  assert.ok(!roles.dlq.test("other_app-dlq"));
  assert.equal(roles.orders, "orders");
});

Deno.test("window flags become the state's limits in ms; a window that is no multiple of its slide is refused", () => {
  const { limits } = aggregatorSettingsFrom(
    parse(["--view-window-seconds", "60", "--view-slide-seconds", "20"]),
  );
  assert.equal(limits.viewWindowMs, 60_000);
  assert.equal(limits.viewSlideMs, 20_000);
  assert.throws(
    () =>
      aggregatorSettingsFrom(parse(["--view-window-seconds", "60", "--view-slide-seconds", "25"])),
    (err: unknown) => err instanceof ConfigError && /whole multiple/.test(err.message),
  );
});

Deno.test("a pattern that is no regular expression is a configuration error naming its flag", () => {
  assert.throws(
    () => aggregatorSettingsFrom(parse(["--dlq-pattern", "("])),
    (err: unknown) =>
      err instanceof ConfigError && err.flag === "dlqPattern" &&
      /--dlq-pattern: not a regular expression/.test(err.message),
  );
});
