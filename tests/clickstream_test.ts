/**
 * The clickstream end to end: the real order generator feeds `orders` and
 * `clicks`; the real aggregator's most-viewed products (sliding window),
 * views per product and view-to-order conversion equal the figures computed
 * here from what the generator actually wrote.
 */
import assert from "node:assert/strict";
import type { StatsSnapshot } from "../shared/aggregate/snapshot.ts";
import { DEFAULT_CATALOG } from "../shared/orders/catalog.ts";
import type { ClickEvent } from "../shared/orders/clicks.ts";
import type { RawOrder } from "../shared/orders/model.ts";
import { validateOrder } from "../shared/orders/validate.ts";
import { integration, testKafka, uniqueName, waitFor } from "./harness.ts";
import {
  aggregatorArgs,
  consumeRecords,
  exited,
  runGenerator,
  startScript,
  type TestKafka,
  type TestRecord,
} from "./pipeline.ts";

const WINDOW_MS = 60_000;
const SLIDE_MS = 5_000;

/**
 * The first `count` records of `topic` (everything the generator wrote and
 * Kafka acknowledged). Unlike readAllCommitted, it appends no end markers:
 * the aggregator reads these topics too.
 */
async function readRecords(kafka: TestKafka, topic: string, count: number): Promise<TestRecord[]> {
  const got = await consumeRecords(kafka, topic, count, { timeoutMs: 60_000 });
  assert.equal(got.length, count);
  return got;
}

/** Most-viewed products over the last window, as the aggregator defines it, computed directly. */
function mostViewed(views: ClickEvent[], topN: number) {
  const times = views.map((v) => Date.parse(v.timestamp));
  const newest = Math.max(...times);
  const to = Math.floor(newest / SLIDE_MS) * SLIDE_MS + SLIDE_MS;
  const from = to - WINDOW_MS;
  const counts = new Map<string, number>();
  views.forEach((v, i) => {
    if (times[i] >= from && times[i] < to) {
      counts.set(v.productId, (counts.get(v.productId) ?? 0) + 1);
    }
  });
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    products: [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, topN)
      .map(([sku, n]) => ({ sku, name: DEFAULT_CATALOG.get(sku)!.name, views: n })),
  };
}

/** Viewed (user, product) pairs, and those the user then bought (first view ≤ last sale). */
function conversion(views: ClickEvent[], orders: RawOrder[]) {
  const firstView = new Map<string, number>();
  for (const v of views) {
    const k = `${v.userId}|${v.productId}`;
    firstView.set(k, Math.min(firstView.get(k) ?? Infinity, Date.parse(v.timestamp)));
  }
  const lastSale = new Map<string, number>();
  for (const o of orders) {
    if (
      !(o.type === "delivery" || o.type === "inventory" && (o.movement ?? "reserve") === "reserve")
    ) {
      continue;
    }
    for (const item of o.items) {
      const k = `${o.customerId}|${item.sku}`;
      lastSale.set(k, Math.max(lastSale.get(k) ?? -Infinity, Date.parse(o.createdAt)));
    }
  }
  const converted = [...firstView].filter(([k, at]) => (lastSale.get(k) ?? -Infinity) >= at).length;
  const rate = Math.round((converted / firstView.size) * 10_000) / 10_000;
  return { viewedPairs: firstView.size, convertedPairs: converted, rate, lastSale };
}

Deno.test(
  "clickstream: the generator's views give the aggregator's most-viewed, views per product and conversion",
  integration,
  async () => {
    const kafka = testKafka("clickstream-test");
    const prefix = uniqueName("clk");
    const { totals } = await runGenerator(`${prefix}-orders`, { count: 400, seed: 11 }, [
      "--clicks-topic",
      `${prefix}-clicks`,
      "--clicks-per-order",
      "3",
      "--invalid-rate",
      "0.05",
    ]);
    assert.equal(totals.sent, 400);
    assert.ok(totals.clicks > 900 && totals.clicks < 1500, `clicks ${totals.clicks}`);

    // What the generator really wrote, as the aggregator will read it.
    const clickRecords = await readRecords(kafka, `${prefix}-clicks`, totals.clicks);
    const views: ClickEvent[] = clickRecords.map((m) => JSON.parse(m.value!.toString()));
    assert.equal(views.length, totals.clicks);
    for (const m of clickRecords) {
      assert.equal(m.key!.toString(), JSON.parse(m.value!.toString()).userId, "keyed by user");
    }
    const orders = (await readRecords(kafka, `${prefix}-orders`, 400))
      .map((m) => validateOrder(JSON.parse(m.value!.toString())))
      .flatMap((r) => (r.ok ? [r.order] : []));

    const proc = startScript(
      "scripts/aggregator.ts",
      aggregatorArgs(prefix, [
        "--view-window-seconds",
        String(WINDOW_MS / 1000),
        "--view-slide-seconds",
        String(SLIDE_MS / 1000),
        "--top-n",
        "5",
        "--commit-interval-ms",
        "200",
      ]),
    );
    try {
      const url = await waitFor(
        "the aggregator's start-up line",
        () => /"stats":"(http:\/\/[^"]+)"/.exec(proc.output())?.[1],
        { timeoutMs: 60_000 },
      );
      const s: StatsSnapshot = await waitFor(
        "the aggregator to fold every view and order",
        async () => {
          const res = await fetch(url);
          const body = res.status === 200
            ? await res.json()
            : (await res.body?.cancel(), undefined);
          return body && body.clicks.views >= views.length && body.records >= views.length + 400
            ? body
            : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );

      assert.equal(s.clicks.views, views.length);
      assert.equal(s.clicks.invalid, 0);
      const expectedWindow = mostViewed(views, 5);
      assert.deepEqual(
        { from: s.clicks.mostViewed.from, to: s.clicks.mostViewed.to },
        { from: expectedWindow.from, to: expectedWindow.to },
      );
      assert.deepEqual(s.clicks.mostViewed.products, expectedWindow.products);
      assert.ok(
        expectedWindow.products.reduce((n, p) => n + p.views, 0) < views.length,
        "the window leaves older views out",
      );

      const expected = conversion(views, orders);
      assert.ok(expected.convertedPairs > 50, "some views lead to the order");
      const { lastSale: _, ...figures } = expected;
      assert.deepEqual(s.clicks.conversion, figures);

      // Views and orders per product, all time.
      const perProduct = new Map<string, { views: number; orders: number }>();
      for (const v of views) {
        const p = perProduct.get(v.productId) ?? { views: 0, orders: 0 };
        p.views++;
        perProduct.set(v.productId, p);
      }
      for (const o of orders) {
        if (
          !(o.type === "delivery" ||
            o.type === "inventory" && (o.movement ?? "reserve") === "reserve")
        ) {
          continue;
        }
        for (const sku of new Set(o.items.map((i) => i.sku))) {
          const p = perProduct.get(sku) ?? { views: 0, orders: 0 };
          p.orders++;
          perProduct.set(sku, p);
        }
      }
      const expectedByProduct = [...perProduct]
        .sort((a, b) => b[1].views - a[1].views || (a[0] < b[0] ? -1 : 1))
        .slice(0, 5)
        .map(([sku, p]) => ({
          sku,
          name: DEFAULT_CATALOG.get(sku)!.name,
          views: p.views,
          orders: p.orders,
          ordersPerView: Math.round((p.orders / p.views) * 10_000) / 10_000,
        }));
      assert.deepEqual(s.clicks.byProduct, expectedByProduct);
    } catch (err) {
      throw new Error(`${err}\n--- aggregator output:\n${proc.output().slice(-4000)}`);
    } finally {
      proc.kill("SIGTERM");
      await exited(proc);
    }
  },
);
