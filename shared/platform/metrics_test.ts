import assert from "node:assert/strict";
import { memoryGauges, MetricsRegistry, serveMetrics } from "./metrics.ts";

Deno.test("counters and gauges render in the Prometheus text format", () => {
  const m = new MetricsRegistry({ script: "t" });
  const c = m.counter("orders_total", "orders seen", ["type"]);
  c.inc({ type: "inventory" });
  c.inc({ type: "inventory" }, 2);
  c.inc({ type: 'de"l\\x' });
  m.gauge("lag", "consumer lag").set({}, -3);
  const text = m.render();
  assert.match(text, /^# HELP orders_total orders seen$/m);
  assert.match(text, /^# TYPE orders_total counter$/m);
  assert.match(text, /^orders_total\{script="t",type="inventory"\} 3$/m);
  assert.match(text, /^orders_total\{script="t",type="de\\"l\\\\x"\} 1$/m);
  assert.match(text, /^lag\{script="t"\} -3$/m);
  assert.equal(c.get({ type: "inventory" }), 3);
});

Deno.test("histograms are cumulative with +Inf, sum and count", () => {
  const m = new MetricsRegistry();
  const h = m.histogram("latency_seconds", "latency", [], [0.1, 1]);
  for (const v of [0.05, 0.5, 5]) h.observe({}, v);
  const text = m.render();
  assert.match(text, /^latency_seconds_bucket\{le="0.1"\} 1$/m);
  assert.match(text, /^latency_seconds_bucket\{le="1"\} 2$/m);
  assert.match(text, /^latency_seconds_bucket\{le="\+Inf"\} 3$/m);
  assert.match(text, /^latency_seconds_sum 5.55$/m);
  assert.match(text, /^latency_seconds_count 3$/m);
  assert.deepEqual(h.stats(), { count: 3, sum: 5.55 });
});

Deno.test("labels are checked and counters never go down", () => {
  const m = new MetricsRegistry();
  const c = m.counter("x_total", "x", ["a"]);
  assert.throws(() => c.inc({}), /label "a" missing/);
  assert.throws(() => c.inc({ a: 1, b: 2 }), /unknown label "b"/);
  assert.throws(() => c.inc({ a: 1 }, -1), /cannot go down/);
  assert.throws(() => m.counter("bad name", "x"), /invalid metric name/);
  assert.equal(m.counter("x_total", "x", ["a"]), c, "same name returns the same metric");
  assert.throws(() => m.gauge("x_total", "x"), /exists as a counter/);
});

Deno.test("serveMetrics answers /metrics and /healthz", async () => {
  const m = new MetricsRegistry();
  m.counter("up_total", "u").inc();
  const server = serveMetrics(m, { port: 0 });
  try {
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/plain; version=0.0.4/);
    assert.match(await res.text(), /^up_total 1$/m);
    const health = await fetch(server.url.replace("/metrics", "/healthz"));
    assert.deepEqual(await health.json(), { ok: true });
    const missing = await fetch(server.url.replace("/metrics", "/nope"));
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("memoryGauges samples resident memory, the V8 heap and external memory", () => {
  const registry = new MetricsRegistry({ script: "t" });
  const sample = memoryGauges(registry);
  sample();
  const text = registry.render();
  const value = (re: RegExp) => Number(text.match(re)?.[1]);
  assert.ok(value(/^process_resident_memory_bytes\{script="t"\} (\d+)$/m) > 10 * 1024 * 1024);
  assert.ok(value(/^deno_heap_bytes\{script="t",kind="used"\} (\d+)$/m) > 0);
  assert.ok(value(/^deno_heap_bytes\{script="t",kind="total"\} (\d+)$/m) > 0);
  assert.ok(value(/^deno_external_memory_bytes\{script="t"\} (\d+)$/m) >= 0);
});
