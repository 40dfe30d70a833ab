import assert from "node:assert/strict";
import { computeRatios, evaluateTargets, type Measurement, type PipelineResult } from "./report.ts";

const m = (id: string, recordsPerSec: number): Measurement => ({
  id,
  section: "stage",
  name: id,
  records: 1000,
  seconds: 1,
  recordsPerSec,
});

const pipeline = (over: Partial<PipelineResult> = {}): PipelineResult => ({
  backlogOrders: 10_000,
  seconds: 1,
  ordersPerSec: 21_000,
  cpuSecondsPer10k: 1,
  peakRssMb: { router: 90, consumer: 120 },
  instances: 1,
  latency: {
    count: 100,
    p50: 10,
    p95: 40,
    p99: 80,
    max: 90,
    mean: 15,
    offeredRate: 1000,
    achievedRate: 998,
    seconds: 20,
  },
  ...over,
});

Deno.test("computeRatios: only the pairs both measured", () => {
  const ratios = computeRatios([
    m("tool.producer", 100_000),
    m("kafkajs.deno.producer", 25_000),
    m("stage.router.inventory", 10_000),
  ]);
  assert.deepEqual(ratios.map((r) => [r.id, r.value]), [
    ["plain/tool.producer.deno", 0.25],
    ["stage/plain.router.inventory", 0.4],
  ]);
});

/** The producer and router figures the targets are judged on (records/s). */
function targetFigures(
  { delivery, failures, postgres }: { delivery: number; failures: number; postgres: number },
) {
  return [
    m("kafkajs.deno.producer", 10_000),
    m("platformatic.deno.producer", 20_000),
    m("stage.router.inventory", 12_000),
    m("stage.router.delivery", delivery),
    m("stage.router.inventory.failures", failures),
    m("stage.consumer.inventory.postgres", 18_000),
    m("stage.consumer.delivery.postgres", postgres),
  ];
}

Deno.test("evaluateTargets: every target met", () => {
  const ms = targetFigures({ delivery: 12_500, failures: 11_000, postgres: 15_000 });
  const t = evaluateTargets(ms, pipeline());
  assert.equal(t.length, 6);
  assert.deepEqual(t.map((x) => x.met), [true, true, true, true, true, true]);
  assert.match(t[4].measured, /120 MB \(consumer\)/);
});

Deno.test("evaluateTargets: each shortfall said", () => {
  // Routing at 55 % of the plain @platformatic/kafka producer: it is the one judged, not kafkajs.
  const ms = targetFigures({ delivery: 11_000, failures: 10_000, postgres: 11_500 });
  const slow = pipeline({
    ordersPerSec: 19_000,
    peakRssMb: { aggregator: 151 },
    latency: { ...pipeline().latency, p99: 80, offeredRate: 200, achievedRate: 200 },
  });
  assert.deepEqual(evaluateTargets(ms, slow).map((x) => x.met), [
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  // A missing measurement is never "met".
  assert.equal(evaluateTargets([], pipeline())[0].met, false);
});
