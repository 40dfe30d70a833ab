/**
 * `deno task bench --short` end to end on the runner's broker, at a tight
 * scale: it must finish, and its JSON must hold every section (Kafka's
 * tools, plain kafkajs and @platformatic/kafka under Deno and Node, every
 * stage, the whole pipeline, ratios, targets) with positive figures. Speed
 * is not judged.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type BenchReport, RATIO_DEFS } from "../shared/dev/bench/report.ts";

const EXPECTED = [
  "tool.producer",
  "tool.consumer",
  "kafkajs.deno.producer",
  "kafkajs.deno.consumer",
  "kafkajs.node.producer",
  "kafkajs.node.consumer",
  "platformatic.deno.producer",
  "platformatic.deno.consumer",
  "platformatic.node.producer",
  "platformatic.node.consumer",
  "stage.router.inventory",
  "stage.router.delivery",
  "stage.router.inventory.failures",
  "stage.consumer.inventory.sqlite",
  "stage.consumer.inventory.postgres",
  "stage.consumer.delivery.sqlite",
  "stage.consumer.delivery.postgres",
  "stage.aggregator",
  "pipeline.backlog",
];

Deno.test({
  name: "bench --short runs every section and writes positive figures",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const output = join(await Deno.makeTempDir({ prefix: "bench-test-" }), "bench.json");
    const started = performance.now();
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "scripts/dev/bench.ts",
        "--short",
        "--records",
        "3000",
        "--orders",
        "1000",
        "--latency-rate",
        "100",
        "--latency-seconds",
        "3",
        "--partitions",
        "3",
        "--output",
        output,
      ],
      // KAFKA_BROKERS comes from the runner: the bench uses its broker.
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, text.slice(-4000));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 170, `the short bench took ${seconds.toFixed(0)} s`);

    const report: BenchReport = JSON.parse(await Deno.readTextFile(output));
    assert.equal(report.short, true);
    assert.equal(report.broker, "env", "the bench uses the runner's broker");
    const ids = report.measurements.map((m) => m.id);
    assert.deepEqual(ids.toSorted(), EXPECTED.toSorted());
    for (const m of report.measurements) {
      assert.ok(m.records > 0 && m.recordsPerSec > 0 && m.seconds > 0, JSON.stringify(m));
    }
    const p = report.pipeline;
    assert.ok(p.ordersPerSec > 0 && p.cpuSecondsPer10k > 0);
    assert.ok(p.latency.count > 0 && p.latency.p50 > 0 && p.latency.p99 >= p.latency.p50);
    for (
      const script of [
        "inventory_orders_producer",
        "delivery_orders_producer",
        "inventory_data_consumer",
        "delivery_data_consumer",
        "aggregator",
      ]
    ) {
      assert.ok(p.peakRssMb[script] > 0, `peak RSS of ${script}`);
    }
    assert.equal(report.ratios.length, RATIO_DEFS.length);
    assert.ok(report.ratios.every((r) => r.value > 0));
    assert.equal(report.targets.length, 6);
    assert.ok(
      report.targets.some((t) => /PostgreSQL/.test(t.name)),
      "the PostgreSQL target is judged",
    );
    // The table is printed too.
    assert.match(text, /\| target \| goal \| measured \| met \|/);
  },
});
