import assert from "node:assert/strict";
import { markdownTable, num, renderReport } from "./table.ts";
import type { BenchReport } from "./report.ts";

Deno.test("markdownTable aligns right where asked", () => {
  assert.equal(
    markdownTable(["a", "b"], [["x", "1"], ["y", "2"]], ["l", "r"]),
    "| a | b |\n| --- | ---: |\n| x | 1 |\n| y | 2 |",
  );
});

Deno.test("num: separators, decimals, missing", () => {
  assert.equal(num(12345.678), "12,346");
  assert.equal(num(1.234, 2), "1.23");
  assert.equal(num(undefined), "–");
  assert.equal(num(NaN), "–");
});

Deno.test("renderReport has every table", () => {
  const report: BenchReport = {
    at: "2026-01-01T00:00:00Z",
    short: true,
    wallSeconds: 60,
    machine: { cpus: 2, cpuModel: "x", memGb: 24, os: "linux", deno: "2" },
    broker: "local",
    scale: {
      orders: 1000,
      backlog: 1000,
      partitions: 6,
      instances: 1,
      recordSize: 400,
      latencyRate: 100,
      latencySeconds: 2,
    },
    measurements: [{
      id: "tool.producer",
      section: "limit",
      name: "kafka-producer-perf-test",
      records: 1000,
      seconds: 1,
      recordsPerSec: 1000,
      mbPerSec: 0.4,
    }],
    pipeline: {
      backlogOrders: 1000,
      seconds: 1,
      ordersPerSec: 1000,
      cpuSecondsPer10k: 2,
      peakRssMb: { aggregator: 100 },
      instances: 1,
      latency: {
        count: 1,
        p50: 1,
        p95: 1,
        p99: 1,
        max: 1,
        mean: 1,
        offeredRate: 100,
        achievedRate: 100,
        seconds: 2,
      },
    },
    ratios: [{ id: "r", name: "a / b", value: 0.5 }],
    targets: [{ name: "t", goal: "g", measured: "m", met: false }],
    notes: [],
  };
  const text = renderReport(report);
  for (const want of ["Kafka's own tools", "sustained orders/s", "a / b | 0.50", "**no**"]) {
    assert.ok(text.includes(want), want);
  }
});
