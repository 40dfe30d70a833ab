import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import {
  DEFAULT_SCRAPE_TARGETS,
  parseScrapeTargets,
  processFigures,
  processRow,
  sumSeries,
} from "./prometheus.ts";

Deno.test("a routing producer's page, as our registry renders it", () => {
  const m = new MetricsRegistry({ script: "inventory_orders_producer" });
  m.counter("router_consumed_total", "x").inc({}, 120);
  m.counter("router_routed_records_total", "x").inc({}, 80);
  const dead = m.counter("router_dead_lettered_total", "x", ["class"]);
  dead.inc({ class: "validation" }, 3);
  dead.inc({ class: "unparseable" }, 1);
  const handoffs = m.counter("retry_handoffs_total", "x", ["outcome", "class", "attempt"]);
  handoffs.inc({ outcome: "retry", class: "injected", attempt: 1 }, 5);
  handoffs.inc({ outcome: "dlq", class: "injected", attempt: 4 }, 1);
  assert.deepEqual(processFigures(m.render()), {
    consumed: 120,
    produced: 80,
    deadLettered: 4,
    retried: 5,
  });
});

Deno.test("a consumer's page, and pages without the figures", () => {
  const text = 'consumer_records_total 7\nconsumer_status_events_total{status="reserved"} 6\n';
  assert.deepEqual(processFigures(text), { consumed: 7, produced: 6 });
  assert.deepEqual(processFigures("# nothing here\n"), {});
  assert.equal(sumSeries("router_consumed_total_x 5\n", "router_consumed_total"), undefined);
});

Deno.test("scrape targets are name=url", () => {
  assert.equal(parseScrapeTargets(DEFAULT_SCRAPE_TARGETS).length, 4);
  assert.deepEqual(parseScrapeTargets(["a=http://h:1/metrics"]), [
    { name: "a", url: "http://h:1/metrics" },
  ]);
  for (const bad of ["http://h:1/metrics", "a=", "a=ftp://h/x"]) {
    assert.throws(() => parseScrapeTargets([bad]), (e) => e instanceof ConfigError);
  }
});

Deno.test("process rows: down, up, and a rate between two scrapes", () => {
  const target = { name: "p", url: "http://h:1/metrics" };
  assert.deepEqual(processRow(target, undefined, 5), { ...target, up: false, at: 5 });
  const first = processRow(target, "consumer_records_total 10\n", 1000);
  assert.equal(first.consumedPerSec, undefined);
  const second = processRow(target, "consumer_records_total 30\n", 3000, first);
  assert.equal(second.consumedPerSec, 10);
  const restarted = processRow(target, "consumer_records_total 2\n", 4000, second);
  assert.equal(restarted.consumedPerSec, undefined);
});
