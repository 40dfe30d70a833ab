/**
 * The aggregator as a real process on the real broker: a known stream of
 * orders, status events (with republished copies), clicks, retry and DLQ
 * records goes in while the aggregator is SIGKILLed and restarted several
 * times; in the end every figure it serves equals the figure computed here,
 * independently, from the generated input: nothing counted twice, nothing lost.
 */
import assert from "node:assert/strict";
import { statusEvent, statusMessage } from "../shared/orders/status_event.ts";
import { deadLetter } from "../shared/retry/dead_letter.ts";
import { DEFAULT_CATALOG } from "../shared/orders/catalog.ts";
import { type ClickEvent, clickMessage, createClickGenerator } from "../shared/orders/clicks.ts";
import { createOrderGenerator, createRandom } from "../shared/orders/generate.ts";
import type { RawOrder } from "../shared/orders/model.ts";
import type { StatsSnapshot } from "../shared/aggregate/snapshot.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../shared/kafka/topics.ts";
import { integration, testConnection, testKafka, uniqueName, waitFor } from "./harness.ts";
import { aggregatorArgs, exited, type ScriptProcess, startScript } from "./pipeline.ts";
import { committedRecords, produceMessages, type TestKafka } from "./test_kafka.ts";

const AGGREGATOR = "scripts/aggregator.ts";
const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 18, 12, 0, 0);

type Rec = { key: string; value: string | null; headers?: Record<string, string> };

/** Every input of one test, per topic, in the order it is produced. */
interface Input {
  orders: Rec[];
  status: Rec[];
  clicks: Rec[];
  retry: Record<string, Rec[]>;
  dlq: Record<string, Rec[]>;
  /** What the records were made from, for the expected figures. */
  samples: { order: RawOrder; valid: boolean }[];
  views: ClickEvent[];
  statusEvents: ReturnType<typeof statusEvent>[];
}

function generateInput(prefix: string, count: number): Input {
  let clock = T0;
  const orders = createOrderGenerator({
    seed: 21,
    mix: { inventory: 45, delivery: 45, return: 10 },
    catalog: DEFAULT_CATALOG,
    invalidRate: 0.08,
    // 0.4 s apart: the orders span several one-minute windows.
    now: () => (clock += 400),
  });
  const clicks = createClickGenerator({ seed: 21, catalog: DEFAULT_CATALOG, viewsPerOrder: 2 });
  const random = createRandom(99);
  const input: Input = {
    orders: [],
    status: [],
    clicks: [],
    retry: { [`${prefix}-inv-retry-1`]: [], [`${prefix}-inv-retry-2`]: [] },
    dlq: { [`${prefix}-orders-dlq`]: [], [`${prefix}-inv-dlq`]: [] },
    samples: [],
    views: [],
    statusEvents: [],
  };
  for (let i = 0; i < count; i++) {
    const { order, defect } = orders.nextSample();
    input.samples.push({ order, valid: defect === null });
    input.orders.push({ key: order.orderId, value: JSON.stringify(order) });
    for (const view of clicks.forOrder(order)) {
      input.views.push(view);
      input.clicks.push(clickMessage(view));
    }
    const at = Date.parse(order.createdAt) || T0;
    if (defect !== null) {
      input.dlq[`${prefix}-orders-dlq`].push(
        deadLetter(
          { topic: "orders", partition: 0, offset: String(i), key: order.orderId, value: null },
          { errorClass: "validation", reason: defect, stage: "inventory_orders_producer" },
          new Date(at),
        ) as Rec,
      );
      continue;
    }
    const events = order.type === "inventory"
      ? order.items.map((_, line) =>
        statusEvent({
          source: "inventory",
          orderId: order.orderId,
          key: String(line),
          status: random() < 0.1 ? "refused" : "reserved",
          at,
        })
      )
      : order.type === "delivery"
      ? ["scheduled", "dispatched", random() < 0.2 ? "rejected" : "delivered"].map((status) =>
        statusEvent({ source: "delivery", orderId: order.orderId, key: status, status, at })
      )
      : [];
    for (const e of events) {
      input.statusEvents.push(e);
      input.status.push(statusMessage(e));
      // A consumer that crashed republishes what it had already published.
      if (random() < 0.05) input.status.push(statusMessage(e));
    }
    if (random() < 0.1) {
      const level = random() < 0.7 ? 1 : 2;
      input.retry[`${prefix}-inv-retry-${level}`].push({ key: order.orderId, value: "{}" });
      if (level === 2 && random() < 0.5) {
        input.dlq[`${prefix}-inv-dlq`].push(
          deadLetter(
            {
              topic: "inventory_orders",
              partition: 0,
              offset: "0",
              key: order.orderId,
              value: null,
            },
            { errorClass: "database", reason: "locked", stage: "inventory_data_consumer" },
            new Date(at),
          ) as Rec,
        );
      }
    }
  }
  input.orders.push({ key: "junk-1", value: "{not json" }, { key: "junk-2", value: "[1,2]" });
  return input;
}

/** The figures the aggregator must arrive at, computed straight from the input. */
function expectedFigures(input: Input, topN: number) {
  const valid = input.samples.filter((s) => s.valid).map((s) => s.order);
  const cents = (o: RawOrder) =>
    o.items.reduce((n, i) => n + Math.round(i.unitPrice * 100) * i.quantity, 0);
  const sum = (list: RawOrder[]) => list.reduce((n, o) => n + cents(o), 0);
  const avg = (list: RawOrder[]) => list.length ? Math.round(sum(list) / list.length) / 100 : 0;
  const sales = valid.filter((o) =>
    o.type === "delivery" || (o.type === "inventory" && (o.movement ?? "reserve") === "reserve")
  );
  const byType: Record<string, { count: number; value: number; averagePrice: number }> = {};
  for (const type of new Set(valid.map((o) => o.type))) {
    const list = valid.filter((o) => o.type === type);
    byType[type] = { count: list.length, value: sum(list) / 100, averagePrice: avg(list) };
  }
  const perMinute = new Map<number, number>();
  for (const o of valid) {
    const m = Math.floor(Date.parse(o.createdAt) / MINUTE) * MINUTE;
    perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
  }
  const products = new Map<string, { units: number; cents: number; orders: number }>();
  for (const o of sales) {
    for (const sku of new Set(o.items.map((i) => i.sku))) {
      const p = products.get(sku) ?? { units: 0, cents: 0, orders: 0 };
      for (const i of o.items.filter((i) => i.sku === sku)) {
        p.units += i.quantity;
        p.cents += Math.round(i.unitPrice * 100) * i.quantity;
      }
      p.orders++;
      products.set(sku, p);
    }
  }
  const byStatus: Record<string, number> = {};
  for (const e of input.statusEvents) {
    byStatus[`${e.source}:${e.status}`] = (byStatus[`${e.source}:${e.status}`] ?? 0) + 1;
  }
  const refused = byStatus["inventory:refused"] ?? 0;
  const rejected = byStatus["delivery:rejected"] ?? 0;
  const byKeyCount = (recs: Record<string, Rec[]>) =>
    Object.fromEntries(
      Object.entries(recs).filter(([, l]) => l.length).map(([t, l]) => [t, l.length]),
    );
  const dlqByClass: Record<string, number> = {};
  for (const r of Object.values(input.dlq).flat()) {
    const c = r.headers!["dlq.error.class"];
    dlqByClass[c] = (dlqByClass[c] ?? 0) + 1;
  }
  const records = input.orders.length + input.status.length + input.clicks.length +
    Object.values(input.retry).flat().length + Object.values(input.dlq).flat().length;
  return {
    records,
    orders: {
      count: valid.length,
      value: sum(valid) / 100,
      averagePrice: avg(valid),
      invalid: input.samples.length - valid.length + 1, // "[1,2]" is JSON but no order
      unparseable: 1,
      byType,
    },
    sales: { count: sales.length, revenue: sum(sales) / 100, averagePrice: avg(sales) },
    windows: [...perMinute].sort((a, b) => a[0] - b[0])
      .map(([start, count]) => ({ start: new Date(start).toISOString(), count })),
    topProducts: [...products]
      .sort((a, b) => b[1].units - a[1].units || (a[0] < b[0] ? -1 : 1))
      .slice(0, topN)
      .map(([sku, p]) => ({
        sku,
        name: DEFAULT_CATALOG.get(sku)!.name,
        units: p.units,
        revenue: p.cents / 100,
        orders: p.orders,
      })),
    status: {
      events: input.statusEvents.length,
      processed: input.statusEvents.length - refused - rejected,
      refusedForStock: refused,
      rejected,
      duplicatesIgnored: input.status.length - input.statusEvents.length,
      invalid: 0,
      byStatus,
    },
    retried: {
      total: Object.values(input.retry).flat().length,
      byTopic: byKeyCount(input.retry),
    },
    deadLettered: {
      total: Object.values(input.dlq).flat().length,
      byClass: dlqByClass,
      byTopic: byKeyCount(input.dlq),
    },
    views: input.views.length,
  };
}

async function createTopics(prefix: string, input: Input) {
  await ensureTopicsAt(testConnection("aggregator-topics"), [
    renamed(TOPICS.orders, `${prefix}-orders`),
    renamed(TOPICS.orderStatus, `${prefix}-status`),
    renamed(TOPICS.clicks, `${prefix}-clicks`),
    renamed(TOPICS.orderStats, `${prefix}-stats`),
    ...[...Object.keys(input.retry), ...Object.keys(input.dlq)]
      .map((name) => renamed(TOPICS.ordersDlq, name)),
  ]);
}

/** Produces one slice of every topic's records. */
async function produceSlice(
  kafka: TestKafka,
  prefix: string,
  input: Input,
  from: number,
  to: number,
) {
  const part = <T>(list: T[]) =>
    list.slice(Math.floor(list.length * from), Math.floor(list.length * to));
  const topicMessages = [
    { topic: `${prefix}-orders`, messages: part(input.orders) },
    { topic: `${prefix}-status`, messages: part(input.status) },
    { topic: `${prefix}-clicks`, messages: part(input.clicks) },
    ...Object.entries({ ...input.retry, ...input.dlq })
      .map(([topic, list]) => ({ topic, messages: part(list) })),
  ].filter((t) => t.messages.length);
  for (const { topic, messages } of topicMessages) {
    await produceMessages(kafka, topic, messages);
  }
}

/** How many records one slice of the input holds. */
function sliceSize(input: Input, from: number, to: number): number {
  const part = (n: number) => Math.floor(n * to) - Math.floor(n * from);
  return [
    input.orders,
    input.status,
    input.clicks,
    ...Object.values(input.retry),
    ...Object.values(input.dlq),
  ]
    .reduce((n, list) => n + part(list.length), 0);
}

/**
 * The last `snapshot` record of the (compacted) stats topic once it covers
 * `records` input records, read with read_committed.
 */
async function latestSnapshot(
  kafka: TestKafka,
  topic: string,
  records: number,
): Promise<StatsSnapshot> {
  // Compacted: no end markers (readAllCommitted) can go there, so read on until it covers them.
  const readMore = await committedRecords(kafka, topic);
  let latest: StatsSnapshot | undefined;
  return await waitFor(
    `a snapshot of ${records} records in ${topic}`,
    async () => {
      for (const r of await readMore()) {
        if (r.key?.toString() === "snapshot") latest = JSON.parse(r.value!.toString());
      }
      return latest && latest.records >= records ? latest : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

/** The aggregator's arguments here: frequent, small commits so kills land between them. */
function testAggregatorArgs(prefix: string): string[] {
  return aggregatorArgs(prefix, [
    "--commit-interval-ms",
    "200",
    "--max-uncommitted",
    "300",
    "--top-n",
    "25",
  ]);
}

/** The URL of a started aggregator's /stats, from its start-up log line. */
async function statsUrl(proc: ScriptProcess): Promise<string> {
  return await waitFor("the aggregator's start-up line", () => {
    const m = /"stats":"(http:\/\/[^"]+)"/.exec(proc.output());
    if (!m && proc.output().includes("stopped by an error")) throw new Error(proc.output());
    return m?.[1];
  }, { timeoutMs: 60_000 });
}

async function fetchStats(url: string): Promise<StatsSnapshot | undefined> {
  const res = await fetch(url);
  if (res.status !== 200) {
    await res.body?.cancel();
    return undefined;
  }
  return await res.json();
}

/** Compares every figure of `s` with `expected`. */
function assertFigures(s: StatsSnapshot, expected: ReturnType<typeof expectedFigures>) {
  assert.equal(s.records, expected.records, "records folded");
  assert.deepEqual(
    { ...s.orders, byType: s.orders.byType },
    expected.orders,
    "orders, value, average price, per type",
  );
  assert.deepEqual(s.sales, expected.sales, "sales and revenue");
  assert.deepEqual(s.ordersPerWindow.windows, expected.windows, "orders per minute");
  assert.equal(s.ordersPerWindow.late, 0);
  assert.deepEqual(s.topProducts, expected.topProducts, "top products");
  assert.deepEqual(s.status, expected.status, "status counts");
  assert.deepEqual(s.retried, expected.retried, "retried");
  assert.deepEqual(
    {
      total: s.deadLettered.total,
      byClass: s.deadLettered.byClass,
      byTopic: s.deadLettered.byTopic,
    },
    expected.deadLettered,
    "dead letters",
  );
  assert.equal(s.clicks.views, expected.views, "views");
}

Deno.test(
  "aggregator: SIGKILLed mid-stream and restarted, it ends at the exact figures, nothing counted twice",
  integration,
  async () => {
    const kafka = testKafka("aggregator-test");
    const prefix = uniqueName("agg");
    const input = generateInput(prefix, 1500);
    const expected = expectedFigures(input, 25);
    assert.ok(expected.status.duplicatesIgnored > 10, "republished status events in the input");
    assert.ok(expected.deadLettered.total > 50 && expected.retried.total > 50);
    await createTopics(prefix, input);

    const slices = 8;
    let proc = startScript(AGGREGATOR, testAggregatorArgs(prefix));
    const logs: string[] = [];
    let kills = 0;
    let produced = 0;
    const progressAtKill: string[] = [];
    try {
      for (let i = 0; i < slices; i++) {
        await produceSlice(kafka, prefix, input, i / slices, (i + 1) / slices);
        produced += sliceSize(input, i / slices, (i + 1) / slices);
        if (i === 2 || i === 4 || i === 6) {
          // Let it fold and commit some of what is there, then kill it without warning.
          const url = await statsUrl(proc);
          const restored = await waitFor("the aggregator's first snapshot", () => fetchStats(url), {
            timeoutMs: 90_000,
          });
          const s = await waitFor(
            "the aggregator to commit more",
            async () => {
              const s = await fetchStats(url);
              return s && (s.records > restored.records || s.records >= produced) ? s : undefined;
            },
            { timeoutMs: 90_000, intervalMs: 50 },
          );
          progressAtKill.push(`${s.records}/${produced}`);
          proc.kill("SIGKILL");
          await proc.status;
          kills++;
          logs.push(proc.output());
          proc = startScript(AGGREGATOR, testAggregatorArgs(prefix));
        }
      }
      const url = await statsUrl(proc);
      const final = await waitFor(
        "the aggregator to cover every input record",
        async () => {
          const s = await fetchStats(url);
          return s && s.records >= expected.records ? s : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      assert.equal(kills, 3);
      console.log(`killed at (records folded/produced): ${progressAtKill.join(", ")}`);
      assertFigures(final, expected);

      // The snapshot in order_stats is the same one, and survives a clean restart as it is.
      proc.kill("SIGTERM");
      assert.equal((await exited(proc)).code, 0, proc.output().slice(-3000));
      assertFigures(await latestSnapshot(kafka, `${prefix}-stats`, expected.records), expected);
      proc = startScript(AGGREGATOR, testAggregatorArgs(prefix));
      const again = await waitFor(
        "the restarted aggregator's snapshot",
        () => statsUrl(proc).then(fetchStats),
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      assertFigures(again, expected);
    } catch (err) {
      throw new Error(
        `${err}\n--- aggregator output:\n${[...logs, proc.output()].join("\n---\n").slice(-6000)}`,
      );
    } finally {
      proc.kill("SIGTERM");
      await exited(proc);
    }
  },
);
