import assert from "node:assert/strict";
import type { OrderSink } from "./intake.ts";
import { emptyLoadStats, progressFields, runOrderLoad } from "./order_load.ts";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { createOrderGenerator } from "../orders/generate.ts";
import type { RawOrder } from "../orders/model.ts";

function generator(invalidRate = 0) {
  return createOrderGenerator({
    seed: 3,
    mix: { inventory: 0.5, delivery: 0.3, return: 0.2 },
    catalog: DEFAULT_CATALOG,
    now: () => Date.UTC(2024, 5, 18),
    invalidRate,
  });
}

/** A sink that records batches and counts how many sends were open at once. */
function recordingSink(failAfter = Infinity) {
  const batches: RawOrder[][] = [];
  let open = 0;
  let maxOpen = 0;
  const sink: OrderSink = {
    async send(orders) {
      open++;
      maxOpen = Math.max(maxOpen, open);
      await new Promise((r) => setTimeout(r, 1));
      open--;
      if (batches.length >= failAfter) throw new Error("broker gone");
      batches.push([...orders]);
    },
  };
  return { sink, batches, maxOpen: () => maxOpen };
}

Deno.test("a counted run sends exactly count orders, in batches, a few in flight", async () => {
  const g = generator(0.1);
  const { sink, batches, maxOpen } = recordingSink();
  const stats = await runOrderLoad({
    sink,
    next: g.nextSample,
    rate: 0,
    count: 1234,
    batchSize: 100,
    maxInFlight: 3,
  });
  const sent = batches.flat();
  assert.equal(sent.length, 1234);
  assert.equal(new Set(sent.map((o) => o.orderId)).size, 1234);
  assert.ok(batches.every((b) => b.length <= 100));
  assert.ok(maxOpen() <= 3 && maxOpen() > 1, String(maxOpen()));
  assert.equal(stats.generated, 1234);
  assert.equal(stats.sent, 1234);
  assert.equal(stats.failed, 0);
  assert.ok(stats.invalid > 60 && stats.invalid < 200, String(stats.invalid));
  const byType = Object.values(stats.byType).reduce((a, b) => a + b, 0);
  assert.equal(byType, 1234);
  assert.deepEqual(Object.keys(stats.byType).sort(), ["delivery", "inventory", "return"]);
});

Deno.test("a failed send stops the run, after the sends in flight, and says why", async () => {
  const g = generator();
  const { sink, batches } = recordingSink(2);
  const stats = await runOrderLoad({ sink, next: g.nextSample, rate: 0, count: 0, batchSize: 10 });
  assert.match(stats.error!.message, /broker gone/);
  assert.equal(stats.sent, batches.flat().length);
  assert.equal(stats.sent + stats.failed, stats.generated, "every order is accounted for");
});

Deno.test("an unlimited run stops on the signal and waits for what is in flight", async () => {
  const g = generator();
  const controller = new AbortController();
  const { sink, batches } = recordingSink();
  const stats = emptyLoadStats();
  const running = runOrderLoad(
    { sink, next: g.nextSample, rate: 0, count: 0, batchSize: 50, signal: controller.signal },
    stats,
  );
  while (stats.sent < 500) await new Promise((r) => setTimeout(r, 1));
  controller.abort();
  await running;
  assert.equal(stats.sent, stats.generated);
  assert.equal(batches.flat().length, stats.sent);
});

Deno.test("a rated run takes from the bucket, not a sleep per order", async () => {
  // A fake clock that jumps 100 ms per look: at 50/s that is 5 orders per batch.
  let t = 0;
  const g = generator();
  const { sink, batches } = recordingSink();
  await runOrderLoad({
    sink,
    next: g.nextSample,
    rate: 50,
    count: 40,
    now: () => (t += 100),
  });
  assert.equal(batches.flat().length, 40);
  assert.ok(batches.length < 40, `batched: ${batches.map((b) => b.length)}`);
});

Deno.test("progress lines carry totals, the rate since the last line and types", () => {
  const stats = { ...emptyLoadStats(), sent: 1500, invalid: 3, byType: { inventory: 1500 } };
  assert.deepEqual(progressFields(stats, 1000, 2000), {
    sent: 1500,
    ratePerSec: 250,
    invalid: 3,
    failed: 0,
    byType: { inventory: 1500 },
  });
  assert.equal(progressFields(stats, 1500, 0).ratePerSec, 0);
});
