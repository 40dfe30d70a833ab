import assert from "node:assert/strict";
import { intakeMetrics } from "./intake_metrics.ts";
import { MetricsRegistry } from "../platform/metrics.ts";

Deno.test("the intake counts acknowledged orders by source, failures and the connection", () => {
  const registry = new MetricsRegistry();
  const metrics = intakeMetrics(registry, "gateway");
  assert.match(registry.render(), /^intake_connected 0$/m, "disconnected to start");
  metrics.acknowledged(3, 0.004);
  metrics.acknowledged(2, 0.002);
  metrics.failed();
  metrics.connected(true);
  const text = registry.render();
  assert.match(text, /^intake_orders_total\{source="gateway"\} 5$/m);
  assert.match(text, /^intake_send_errors_total 1$/m);
  assert.match(text, /^intake_send_seconds_count 2$/m);
  assert.match(text, /^intake_batch_orders_sum 5$/m);
  assert.match(text, /^intake_connected 1$/m);
});

Deno.test("without a registry the intake's metrics do nothing", () => {
  const metrics = intakeMetrics(undefined, "import");
  assert.doesNotThrow(() => {
    metrics.acknowledged(1, 0.001);
    metrics.failed();
    metrics.connected(false);
  });
});
