/**
 * The web dashboard in a real browser (Debian's Chromium, driven by
 * playwright-core), on the real broker, with the aggregator and the
 * dashboard as real processes under their catalog permissions, on topics
 * of their own:
 *
 * - the page loads with its panels, says no load runs, and follows the
 *   stream ("live");
 * - the demo load started from the page makes the numbers move (orders in,
 *   the recent-orders table), and stops from the page;
 * - the DLQ panel groups dead letters seeded with `deadLetter()` (the
 *   router's and the validator's own reasons) by the rule they broke,
 *   values shown as samples; its replay button sends a group back once
 *   (records with `replay.of` on the replay topic), and asking again
 *   replays nothing; a group that all failed validation asks first, and
 *   goes only when the user confirms;
 * - the stock panel folds stock changes seeded on an `inventory` topic of
 *   its own (Avro through a real registry, one SKU's changes out of order
 *   and one repeated) into each SKU's last units on hand, and marks the
 *   SKUs at or below `--low-stock` low;
 * - all of it behind basic auth (the page's fetches and its EventSource
 *   send what the browser was given), and Replay without credentials is
 *   401 and replays nothing;
 * - a screenshot is kept at build/test-artifacts/dashboard.png.
 *
 * Needs Chromium at /usr/bin/chromium (`apt-get install chromium`), or
 * CHROMIUM_PATH.
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import type { Failure } from "../shared/retry/dead_letter.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import { badQuantity, notJson, QUANTITY_RULE, writeDeadLetters } from "./dead_letters.ts";
import { createAvroCodec } from "../shared/kafka/avro_codec.ts";
import { startRegistry } from "../shared/registry/server.ts";
import { INVENTORY_EVENT_SCHEMA, type InventoryEvent } from "../shared/orders/inventory_event.ts";
import { valueSubject } from "../shared/orders/schemas.ts";
import {
  integration,
  testBrokers,
  testConnection,
  testKafka,
  testLogger,
  uniqueName,
  waitFor,
} from "./harness.ts";
import {
  aggregatorArgs,
  createTopics,
  produceMessages,
  readAllCommitted,
  type ScriptProcess,
  startScript,
  stopped,
  type TestKafka,
} from "./pipeline.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const LOGIN = { username: "ops", password: "dash-s3cret" };
const SCREENSHOT = "build/test-artifacts/dashboard.png";
const NOT_JSON_VALUES = ["{not json", "nope", "["];

interface Topics {
  orders: string;
  status: string;
  clicks: string;
  stats: string;
  dlq: string;
  /** Where the dead letters go back to on replay. */
  replay: string;
  inventory: string;
}

async function createDashboardTopics(prefix: string): Promise<Topics> {
  const t: Topics = {
    orders: `${prefix}-orders`,
    status: `${prefix}-status`,
    clicks: `${prefix}-clicks`,
    stats: `${prefix}-stats`,
    dlq: `${prefix}-orders-dlq`,
    replay: `${prefix}-orders-inventory-retry-1`,
    inventory: `${prefix}-inventory`,
  };
  await createTopics([
    { ...renamed(TOPICS.orders, t.orders), partitions: 2 },
    { ...renamed(TOPICS.orderStatus, t.status), partitions: 2 },
    { ...renamed(TOPICS.clicks, t.clicks), partitions: 1 },
    { ...renamed(TOPICS.ordersDlq, t.dlq), partitions: 2 },
    { ...renamed(TOPICS.orders, t.replay), partitions: 1 },
    { ...renamed(TOPICS.inventory, t.inventory), partitions: 2 },
  ]);
  return t;
}

/** What the stock panel must show after {@linkcode seedStockChanges}, with `--low-stock 5`. */
const SEEDED_STOCK = { "SKU-LOW": { onHand: 2, low: true }, "SKU-OK": { onHand: 40, low: false } };

/**
 * Stock changes as the inventory consumer writes them (Avro through the
 * registry, keyed by SKU): SKU-LOW's three changes arrive out of order and
 * its last one twice, so only the highest number may count.
 */
async function seedStockChanges(kafka: TestKafka, t: Topics, registryUrl: string): Promise<void> {
  const codec = await createAvroCodec({
    registry: { url: registryUrl },
    subject: valueSubject(t.inventory),
    schemas: [INVENTORY_EVENT_SCHEMA],
  });
  const change = (sku: string, sequence: number, quantityChange: number, onHandAfter: number) => ({
    sku,
    sequence,
    quantityChange,
    onHandAfter,
    movement: quantityChange < 0 ? "RESERVE" : "RESTOCK",
    orderId: `ord-stock-${sku}-${sequence}`,
    lineIndex: 0,
    at: Date.now(),
  } satisfies InventoryEvent);
  const changes = [
    change("SKU-LOW", 1, 10, 10),
    change("SKU-LOW", 3, -6, 2),
    change("SKU-LOW", 2, -2, 8),
    change("SKU-LOW", 3, -6, 2),
    change("SKU-OK", 1, 40, 40),
  ];
  await produceMessages(
    kafka,
    t.inventory,
    changes.map((c) => ({ key: c.sku, value: codec.encode(c) })),
  );
}

/**
 * Three "not JSON" (each its own parser message) and two bad quantities
 * (other lines, other values), written in one transaction as the pipeline
 * writes them.
 */
async function seedDeadLetters(kafka: TestKafka, t: Topics): Promise<void> {
  const seeds: [string, { value: string; failure: Failure }][] = [
    ...NOT_JSON_VALUES.map((value, i): [string, { value: string; failure: Failure }] => [
      `ord-bad-${i + 1}`,
      { value, failure: notJson(value) },
    ]),
    ["ord-bad-4", badQuantity("ord-bad-4", 0, 0)],
    ["ord-bad-5", badQuantity("ord-bad-5", 2, -3)],
  ];
  await writeDeadLetters(
    kafka,
    t.dlq,
    seeds.map(([key, { value, failure }], i) => ({
      partition: i % 2,
      originalTopic: t.orders,
      key,
      value,
      failure,
      failedAt: new Date(),
      replayTopic: t.replay,
    })),
  );
}

/** A URL a started script logs at start (`"<field>":"http://…"`). */
function loggedUrl(proc: ScriptProcess, field: string, what: string): Promise<string> {
  return waitFor(what, () => {
    const m = new RegExp(`"${field}":"(http://[^"]+)"`).exec(proc.output());
    if (!m && proc.output().includes("stopped by an error")) throw new Error(proc.output());
    return m?.[1];
  }, { timeoutMs: 90_000 });
}

/** The number shown in an element, or -1 while it shows none. */
async function shownNumber(page: Page, selector: string): Promise<number> {
  const text = (await page.textContent(selector)) ?? "";
  const n = Number(text.replaceAll(",", ""));
  return text.trim() === "" || Number.isNaN(n) ? -1 : n;
}

/** Waits until the text of `selector` matches `pattern`. */
function waitForText(
  page: Page,
  selector: string,
  pattern: RegExp,
  what: string,
  timeoutMs = 30_000,
): Promise<boolean> {
  return waitFor(what, async () => pattern.test((await page.textContent(selector)) ?? ""), {
    timeoutMs,
    intervalMs: 200,
  });
}

Deno.test({
  name: "the dashboard in Chromium: live numbers, demo load, DLQ replay once",
  ...integration,
  async fn() {
    const kafka = testKafka("dashboard-test");
    const prefix = uniqueName("dash");
    const t = await createDashboardTopics(prefix);
    await seedDeadLetters(kafka, t);
    const registry = await startRegistry({
      connection: testConnection("dashboard-registry"),
      topic: uniqueName("_schemas"),
      log: testLogger("registry"),
      port: 0,
    });
    await seedStockChanges(kafka, t, registry.url);
    const brokers = testBrokers().join(",");

    const aggregator = startScript(
      "scripts/aggregator.ts",
      aggregatorArgs(prefix, ["--commit-interval-ms", "500"]),
    );
    let dashboard: ScriptProcess | undefined;
    let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
    try {
      const statsUrl = (await loggedUrl(aggregator, "stats", "the aggregator's address"))
        .replace(/\/stats$/, "");
      const aggregatorMetrics = await loggedUrl(aggregator, "metrics", "the aggregator's metrics");
      dashboard = startScript("scripts/dashboard.ts", [
        "--brokers",
        brokers,
        "--port",
        "0",
        "--metrics-port",
        "0",
        "--stats-url",
        statsUrl,
        "--orders-topic",
        t.orders,
        "--status-topic",
        t.status,
        "--dlq-topics",
        t.dlq,
        "--registry-url",
        registry.url,
        "--inventory-topic",
        t.inventory,
        "--low-stock",
        "5",
        "--lag",
        `${prefix}-aggregator:${t.orders}`,
        "--scrape",
        `aggregator=${aggregatorMetrics}`,
        "--max-rate",
        "200",
        "--dlq-refresh-seconds",
        "5",
        "--log-level",
        "info",
      ], { DASHBOARD_BASIC_AUTH: `${LOGIN.username}:${LOGIN.password}` });
      const url = await loggedUrl(dashboard, "url", "the dashboard's address");

      // Without credentials: the page and the Replay action are refused, and nothing is replayed.
      const anonymous = await fetch(url);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm="dashboard"/);
      await anonymous.body?.cancel();
      const refused = await fetch(new URL("/api/dlq/replay", url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ topic: t.dlq, rule: "not JSON" }),
      });
      assert.equal(refused.status, 401);
      assert.match((await refused.json()).error, /credentials required/);

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const page = await browser.newPage({
        viewport: { width: 1440, height: 1000 },
        httpCredentials: LOGIN,
      });
      const failures: string[] = [];
      page.on("pageerror", (err) => failures.push(err.message));
      page.on("requestfailed", (req) => {
        if (!req.url().endsWith("/api/stream")) failures.push(`${req.url()} failed`);
      });
      await page.goto(url);

      // Loads: title, panels, the stream, no load yet.
      assert.match(await page.title(), /Order pipeline/);
      for (
        const panel of [
          "#cards",
          "#throughput-panel",
          "#lag-panel",
          "#stock-panel",
          "#orders-panel",
          "#dlq-panel",
        ]
      ) {
        assert.ok(await page.isVisible(panel), `${panel} is shown`);
      }
      await waitForText(page, "#conn", /^live$/, "the page to follow the stream");
      assert.match((await page.textContent("#load-state")) ?? "", /No load is running/);

      // The stock panel: each SKU's last units on hand, the low one marked and first.
      for (const [sku, shown] of Object.entries(SEEDED_STOCK)) {
        const row = `#stock-table tr[data-sku="${sku}"]`;
        await page.waitForSelector(row, { timeout: 60_000 });
        await waitForText(page, `${row} .on-hand`, new RegExp(`^${shown.onHand}$`), `${sku} stock`);
        assert.equal(await page.isVisible(`${row}.low-stock`), shown.low, `${sku} marked low`);
      }
      assert.deepEqual(
        await page.$$eval("#stock-table tbody tr", (rows) => rows.map((r) => r.dataset.sku)),
        ["SKU-LOW", "SKU-OK"],
      );
      assert.match((await page.textContent("#stock-note")) ?? "", /1 low/);

      // The DLQ panel groups the seeded dead letters by rule, values as samples.
      const group = (rule: string) => `.dlq-topic[data-topic="${t.dlq}"] tr[data-rule="${rule}"]`;
      const notJsonRow = group("not JSON");
      const quantityRow = group(QUANTITY_RULE);
      await page.waitForSelector(`${notJsonRow} button.replay:not([disabled])`, {
        timeout: 90_000,
      });
      assert.equal((await page.textContent(`${notJsonRow} button.replay`))?.trim(), "Replay 3");
      assert.equal((await page.textContent(`${quantityRow} button.replay`))?.trim(), "Replay 2");
      assert.equal(await page.textContent(`${quantityRow} td.samples`), "-3, 0");
      // Each parser message a sample (the seeds' own, sorted).
      assert.equal(
        await page.textContent(`${notJsonRow} td.samples`),
        NOT_JSON_VALUES.map((v) => notJson(v).reason.slice("not JSON: ".length)).sort().join(", "),
      );
      assert.ok(await page.isVisible(`${quantityRow} .badge[data-tone="warn"]`));
      assert.equal(await page.isVisible(`${notJsonRow} .badge[data-tone="warn"]`), false);
      assert.match(
        (await page.textContent(`.dlq-topic[data-topic="${t.dlq}"] h4`)) ?? "",
        /5 records · 2 rules/,
      );

      // Numbers move while orders flow: the load started from the page.
      await page.fill("#load-rate", "40");
      await page.click("#load-start");
      await waitForText(page, "#load-state", /Running at 40/, "the load to run");
      await waitFor(
        "orders counted on the page",
        async () => await shownNumber(page, "#card-orders-in") > 0,
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      const first = await shownNumber(page, "#card-orders-in");
      await waitFor(
        "the orders count to grow on the page",
        async () => await shownNumber(page, "#card-orders-in") > first,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      await page.waitForSelector("#orders-table tbody tr[data-order]", { timeout: 60_000 });
      await waitFor(
        "the dead letters counted by the aggregator",
        async () => await shownNumber(page, "#card-dead") >= 4,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      await page.waitForSelector("#lag-table .group-row", { timeout: 30_000 });
      await waitFor(
        "a rate on the page",
        async () => Number(await page.textContent("#card-rate")) > 0,
        { timeoutMs: 30_000, intervalMs: 250 },
      );

      // A group that all failed validation asks first; declined, nothing goes.
      const asked: string[] = [];
      page.once("dialog", (dialog) => {
        asked.push(dialog.message());
        dialog.dismiss();
      });
      await page.click(`${quantityRow} button.replay`);
      await waitForText(page, "#dlq-result", /^Not replayed: /, "the refusal", 90_000);
      assert.match(
        asked[0] ?? "",
        /^all 2 records to replay failed validation \(items\[\]\.quantity: must be a positive whole number\): replayed unchanged, they would be dead-lettered again\./,
      );
      assert.equal((await readAllCommitted(kafka, t.replay)).length, 0, "declined: nothing sent");

      // Replay from the page: three records back, once.
      await page.click(`${notJsonRow} button.replay`);
      await waitForText(page, "#dlq-result", /Replayed 3 records/, "the replay's result", 90_000);
      await page.waitForSelector(`${notJsonRow} button.replay[disabled]`);
      assert.equal((await page.textContent(`${notJsonRow} button.replay`))?.trim(), "Replayed");
      const replayed = await readAllCommitted(kafka, t.replay);
      assert.equal(replayed.length, 3);
      const of = replayed.map((m) => m.headers?.["replay.of"]?.toString()).sort();
      assert.ok(of.every((h) => h?.startsWith(`${t.dlq}/`)), `replay.of headers: ${of}`);
      assert.deepEqual(replayed.map((m) => m.key?.toString()).sort(), [
        "ord-bad-1",
        "ord-bad-2",
        "ord-bad-3",
      ]);

      // A second replay of the same reason (as a second click would post it) replays nothing.
      const again = await page.evaluate(async ([topic]) => {
        const res = await fetch("/api/dlq/replay", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ topic, rule: "not JSON" }),
        });
        return await res.json();
      }, [t.dlq]);
      assert.equal(again.replayed, 0);
      assert.equal(again.alreadyReplayed, 3);
      assert.equal((await readAllCommitted(kafka, t.replay)).length, 3);

      // Confirmed (say, after the validator was fixed), the validation group goes too, once.
      page.once("dialog", (dialog) => dialog.accept());
      await page.click(`${quantityRow} button.replay`);
      await waitForText(page, "#dlq-result", /Replayed 2 records/, "the forced replay", 90_000);
      const all = await readAllCommitted(kafka, t.replay);
      assert.deepEqual(all.map((m) => m.key?.toString()).sort(), [
        "ord-bad-1",
        "ord-bad-2",
        "ord-bad-3",
        "ord-bad-4",
        "ord-bad-5",
      ]);

      // The screenshot, with everything on it, while the load runs.
      await Deno.mkdir("build/test-artifacts", { recursive: true });
      await page.waitForSelector("#chart polyline", { timeout: 30_000 });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      assert.ok((await Deno.stat(SCREENSHOT)).size > 10_000, "a real screenshot");

      // Stop from the page; bad requests are refused with the field named.
      await page.click("#load-stop");
      await waitForText(page, "#load-state", /No load is running/, "the load to stop");
      const bad = await page.evaluate(async () => {
        const load = await fetch("/api/load", { method: "POST", body: '{"rate":-1}' });
        const replay = await fetch("/api/dlq/replay", { method: "POST", body: '{"topic":"x"}' });
        return [load.status, (await load.json()).error, replay.status, (await replay.json()).error];
      });
      assert.equal(bad[0], 400);
      assert.match(bad[1], /^rate:/);
      assert.equal(bad[2], 400);
      assert.match(bad[3], /^topic:/);
      assert.deepEqual(failures, [], "no script errors or failed requests on the page");
    } catch (err) {
      console.error(`dashboard output:\n${dashboard?.output().slice(-4000)}`);
      throw err;
    } finally {
      await browser?.close();
      if (dashboard) await stopped(dashboard);
      await stopped(aggregator);
      await registry.close();
    }
  },
});
