/**
 * The inventory data consumer as real processes on the real broker, against
 * both store backends (embedded SQLite and a real PostgreSQL): no oversell
 * with two instances, every line's effect once across SIGKILLs with each
 * status event once for read_committed readers, each stock change once on
 * the `inventory` change log (replayed, it rebuilds the store's stock), and
 * a rebalance after one of three instances dies.
 */
import assert from "node:assert/strict";
import { createAvroCodec } from "../shared/kafka/avro_codec.ts";
import { readDeadLetterHeaders } from "../shared/retry/dead_letter.ts";
import { scrapeCounter } from "../shared/dev/supervisor.ts";
import type { StatusSource } from "../shared/orders/status_event.ts";
import type { InventoryEvent } from "../shared/orders/inventory_event.ts";
import { INVENTORY_ORDER_SCHEMA, INVENTORY_ORDER_SCHEMA_V2 } from "../shared/orders/schemas.ts";
import { INVENTORY_ORDERS_SUBJECT } from "../shared/orders/schemas.ts";
import { openStore } from "../shared/store/open_store.ts";
import { createCommittedReader } from "../shared/verify/committed_reader.ts";
import { openStoreReader } from "../shared/verify/store_reader.ts";
import { withDatabase } from "../shared/dev/local_postgres.ts";
import pg from "pg";
import type { StockMovement } from "../shared/orders/model.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import { topicOffsets } from "../shared/kafka/admin.ts";
import { type Backend, BACKENDS } from "./backends.ts";
import { dataConsumerArgs } from "./data_consumer.ts";
import {
  integration,
  processAlive,
  testAdmin,
  testBrokers,
  testKafka,
  testLogger,
  uniqueName,
  waitFor,
} from "./harness.ts";
import {
  assertWokenEndedWell,
  bothAtWork,
  caughtUp,
  committedCount,
  createTopics,
  explained,
  freezeUntilMovedOn,
  groupMembers,
  kafkaToolsClasspath,
  keepProducing,
  produceMessages,
  readAllCommitted,
  refusedWork,
  startScript,
  startTestPipeline,
  stopped,
  stopWoken,
  type TestKafka,
  type TestMessage,
} from "./pipeline.ts";

const CONSUMER = "consumers/inventory_data_consumer.ts";
const log = testLogger("inventory-consumer-test");

interface Line {
  orderId: string;
  lineIndex: number;
  sku: string;
  quantity: number;
  movement: StockMovement;
}

/** A deterministic stream of stock movements on a few SKUs, mostly reservations. */
function movements(count: number, skus: string[], seed: number): Line[] {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, i) => {
    const r = rand();
    const movement: StockMovement = r < 0.8 ? "RESERVE" : r < 0.93 ? "RESTOCK" : "RELEASE";
    return {
      orderId: `ord-${seed}-${i}`,
      lineIndex: 0,
      sku: skus[Math.floor(rand() * skus.length)],
      quantity: 1 + Math.floor(rand() * 3),
      movement,
    };
  });
}

/**
 * What must happen, applied in order per SKU (one partition owns a SKU, so
 * its movements are applied in the order they were produced).
 */
function simulate(initial: Record<string, number>, lines: Line[]) {
  const stock = { ...initial };
  const outcome = new Map<string, "reserved" | "refused" | "restocked" | "released">();
  for (const l of lines) {
    const id = `${l.orderId}#${l.lineIndex}`;
    if (l.movement === "RESERVE") {
      if ((stock[l.sku] ?? 0) >= l.quantity) {
        stock[l.sku] -= l.quantity;
        outcome.set(id, "reserved");
      } else outcome.set(id, "refused");
    } else {
      stock[l.sku] = (stock[l.sku] ?? 0) + l.quantity;
      outcome.set(id, l.movement === "RESTOCK" ? "restocked" : "released");
    }
  }
  return { stock, outcome };
}

/** Encodes lines as the routers write them: Avro through the registry at `registryUrl`, keyed by SKU. */
async function lineEncoder(
  registryUrl: string,
): Promise<(lines: Line[]) => Promise<TestMessage[]>> {
  const codec = await createAvroCodec({
    registry: { url: registryUrl },
    subject: INVENTORY_ORDERS_SUBJECT,
    schemas: [INVENTORY_ORDER_SCHEMA, INVENTORY_ORDER_SCHEMA_V2],
  });
  return (lines) =>
    Promise.all(lines.map(async (l) => ({
      key: l.sku,
      value: Buffer.from(
        await codec.encode({
          ...l,
          lineCount: 1,
          productName: "",
          unitPrice: 1,
          customerId: "c",
          orderTotal: l.quantity,
          currency: "EUR",
          createdAt: 0,
          routedAt: 0,
          warehouse: null,
        }),
      ),
    })));
}

async function produceLines(kafka: TestKafka, topic: string, registryUrl: string, lines: Line[]) {
  const encode = await lineEncoder(registryUrl);
  await produceMessages(kafka, topic, await encode(lines));
}

/** Per-test topics, registry and database; the consumer's arguments. */
async function setup(
  backend: Backend,
  name: string,
  initial: Record<string, number>,
) {
  const pipeline = await startTestPipeline(name);
  const statusTopic = renamed(TOPICS.orderStatus, uniqueName(`${name}-status`));
  const changeLog = renamed(TOPICS.inventory, uniqueName(`${name}-stock-changes`));
  await createTopics([statusTopic, changeLog]);
  const databaseUrl = await backend.database();
  const store = await openStore({ url: databaseUrl, log });
  for (const [sku, n] of Object.entries(initial)) await store.setStock(sku, n);
  await store.close();
  const group = uniqueName(`${name}-sync`);
  const args = (extra: string[] = []) =>
    dataConsumerArgs({
      registryUrl: pipeline.registryUrl,
      databaseUrl,
      sourceTopics: [pipeline.topics.inventoryOrders.name],
      statusTopic: statusTopic.name,
      changeLogTopic: changeLog.name,
      dlqTopic: pipeline.topics.ordersDlq.name,
      groupId: group,
      sessionTimeoutMs: 6000,
    }, extra);
  return {
    pipeline,
    statusTopic: statusTopic.name,
    changeLogTopic: changeLog.name,
    databaseUrl,
    group,
    args,
  };
}

async function verify(
  kafka: TestKafka,
  ctx: Awaited<ReturnType<typeof setup>>,
  initial: Record<string, number>,
  lines: Line[],
) {
  const expected = simulate(initial, lines);
  const store = await openStore({ url: ctx.databaseUrl, log });
  try {
    const stock = Object.fromEntries(await store.allStock());
    for (const sku of Object.keys(expected.stock)) {
      assert.ok(stock[sku] >= 0, `${sku} never negative`);
      assert.equal(stock[sku], expected.stock[sku], `final stock of ${sku}`);
    }
  } finally {
    await store.close();
  }
  const events = (await readAllCommitted(kafka, ctx.statusTopic)).map((m) =>
    JSON.parse(m.value!.toString()) as { eventId: string; source: StatusSource; status: string }
  );
  const seen = new Map<string, number>();
  for (const e of events) seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(twice, [], "each status event once for read_committed readers");
  assert.equal(events.length, lines.length, "one status event per line, none missing");
  for (const e of events) {
    const [, orderId, lineIndex] = e.eventId.split(":");
    assert.equal(e.status, expected.outcome.get(`${orderId}#${lineIndex}`), e.eventId);
  }
}

/**
 * The same outcome as {@linkcode verify}, counted without the product's
 * code: the status events by Kafka's own Java consumer (read_committed),
 * the ledger and the stock by plain SQL on the database.
 */
async function verifyIndependently(
  ctx: Awaited<ReturnType<typeof setup>>,
  initial: Record<string, number>,
  lines: Line[],
  skuPrefix: string,
) {
  const expected = simulate(initial, lines);
  const reader = createCommittedReader({
    classpath: await kafkaToolsClasspath(),
    brokers: testBrokers(),
    topics: [ctx.statusTopic],
  });
  const records = await reader.readMore();
  const events = records.map((r) =>
    JSON.parse(new TextDecoder().decode(r.value!)) as {
      eventId: string;
      status: string;
      at: number;
    }
  );
  // Each copy of an event where it is (partition/offset) and when it was made: the evidence.
  const copies = new Map<string, string[]>();
  events.forEach((e, i) => {
    const where = `${records[i].partition}/${records[i].offset} at ${e.at}`;
    copies.set(e.eventId, [...(copies.get(e.eventId) ?? []), where]);
  });
  const twice = [...copies].filter(([, c]) => c.length > 1);
  assert.deepEqual(twice, [], "each status event once (Java reader)");
  assert.equal(events.length, lines.length, "one status event per line (Java reader)");
  for (const e of events) {
    const [, orderId, lineIndex] = e.eventId.split(":");
    assert.equal(e.status, expected.outcome.get(`${orderId}#${lineIndex}`), e.eventId);
  }
  const store = await openStoreReader(ctx.databaseUrl);
  try {
    const observed = await store.read("ord-", skuPrefix);
    const ledger = observed.inventoryLines.map((l) => `${l.orderId}#${l.lineIndex}`);
    assert.equal(new Set(ledger).size, ledger.length, "each line once in the ledger (SQL)");
    assert.deepEqual(new Set(ledger), new Set(expected.outcome.keys()), "every line (SQL)");
    for (const l of observed.inventoryLines) {
      const refused = expected.outcome.get(`${l.orderId}#${l.lineIndex}`) === "refused";
      assert.equal(l.outcome, refused ? "refused" : "applied", `${l.orderId}#${l.lineIndex}`);
    }
    const stock = Object.fromEntries(observed.stock.map((r) => [r.sku, r.onHand]));
    assert.deepEqual(stock, expected.stock, "the stock (SQL)");
  } finally {
    await store.close();
  }
}

/** One `inventory` value (only the type is the product's: the oracle decodes it on its own). */
type StockChange = InventoryEvent;

/**
 * Reads a Confluent-framed `inventory` value by walking the Avro binary
 * encoding of schemas/inventory_event.avsc by hand (its fields in order;
 * ints and longs zigzag varints, strings length-prefixed, the enum an
 * index), so the oracle shares no decoder with the product.
 */
function decodeStockChange(bytes: Uint8Array): StockChange {
  assert.equal(bytes[0], 0, "Confluent wire format: magic byte 0");
  let at = 5; // magic byte and schema id
  const varint = () => {
    let n = 0;
    for (let scale = 1;; scale *= 128) {
      const b = bytes[at++];
      n += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  };
  const string = () => {
    const length = varint();
    const text = new TextDecoder().decode(bytes.subarray(at, at + length));
    at += length;
    return text;
  };
  const symbols: StockMovement[] = ["RESERVE", "RESTOCK", "RELEASE"];
  const change: StockChange = {
    sku: string(),
    quantityChange: varint(),
    onHandAfter: varint(),
    movement: symbols[varint()],
    orderId: string(),
    lineIndex: varint(),
    sequence: varint(),
    at: varint(),
  };
  assert.equal(at, bytes.length, "no bytes after the record");
  return change;
}

/**
 * The change log replayed by Kafka's own Java consumer (read_committed):
 * one change per applied line and none for a refusal, keyed and
 * partitioned by SKU; each SKU's changes numbered 1..n, each `onHandAfter`
 * the running sum of the changes from the seeded stock; and the rebuilt
 * stock equal to the store's, read by plain SQL.
 */
async function verifyChangeLog(
  ctx: Awaited<ReturnType<typeof setup>>,
  initial: Record<string, number>,
  lines: Line[],
) {
  const expected = simulate(initial, lines);
  const id = (l: { orderId: string; lineIndex: number }) => `${l.orderId}#${l.lineIndex}`;
  const applied = new Map(
    lines.filter((l) => expected.outcome.get(id(l)) !== "refused").map((l) => [id(l), l]),
  );
  const reader = createCommittedReader({
    classpath: await kafkaToolsClasspath(),
    brokers: testBrokers(),
    topics: [ctx.changeLogTopic],
  });
  const records = await reader.readMore();
  const changes = records.map((r) => decodeStockChange(r.value!));
  const ids = changes.map(id);
  assert.equal(new Set(ids).size, ids.length, "each stock change once (Java reader)");
  assert.deepEqual(new Set(ids), new Set(applied.keys()), "a change per applied line, no other");
  const partitionOf = new Map<string, number>();
  records.forEach((r, i) => {
    const c = changes[i];
    assert.equal(new TextDecoder().decode(r.key!), c.sku, "keyed by SKU");
    assert.equal(partitionOf.get(c.sku) ?? r.partition, r.partition, `${c.sku} on one partition`);
    partitionOf.set(c.sku, r.partition);
    const line = applied.get(id(c))!;
    assert.equal(c.movement, line.movement, id(c));
    assert.equal(c.quantityChange, line.movement === "RESERVE" ? -line.quantity : line.quantity);
  });
  const rebuilt: Record<string, number> = { ...initial };
  for (const sku of new Set(changes.map((c) => c.sku))) {
    const history = changes.filter((c) => c.sku === sku).sort((a, b) => a.sequence - b.sequence);
    history.forEach((c, i) => {
      assert.equal(c.sequence, i + 1, `${sku}: changes numbered without gaps`);
      rebuilt[sku] = (rebuilt[sku] ?? 0) + c.quantityChange;
      assert.equal(c.onHandAfter, rebuilt[sku], `${sku} #${c.sequence}: on hand after`);
    });
  }
  const store = await openStoreReader(ctx.databaseUrl);
  try {
    const observed = await store.read("ord-", "SKU-");
    const stock = Object.fromEntries(observed.stock.map((r) => [r.sku, r.onHand]));
    assert.deepEqual(rebuilt, stock, "the change log rebuilds the store's stock (SQL)");
  } finally {
    await store.close();
  }
  console.log(`inventory change log: ${changes.length} changes rebuild ${stock(rebuilt)}`);
}

const stock = (s: Record<string, number>) =>
  Object.entries(s).map(([sku, n]) => `${sku}=${n}`).join(", ");

const INITIAL = { "SKU-A": 40, "SKU-B": 40, "SKU-C": 40, "SKU-D": 40 };

for (const makeBackend of BACKENDS) {
  Deno.test(`inventory consumer on ${makeBackend.label}`, integration, async (t) => {
    const backend = await makeBackend();
    const kafka = testKafka();
    try {
      await t.step("two instances never oversell; stock and refusals match", async () => {
        const ctx = await setup(backend, "oversell", INITIAL);
        const lines = movements(600, Object.keys(INITIAL), 1);
        await produceLines(
          kafka,
          ctx.pipeline.topics.inventoryOrders.name,
          ctx.pipeline.registryUrl,
          lines,
        );
        const a = startScript(CONSUMER, ctx.args(["--batch-size", "50"]));
        const b = startScript(CONSUMER, ctx.args(["--batch-size", "50"]));
        try {
          await explained({ a, b }, () =>
            waitFor(
              "both instances to apply every line",
              () => caughtUp(ctx.group, ctx.pipeline.topics.inventoryOrders.name),
              { timeoutMs: 90_000, intervalMs: 300 },
            ));
        } finally {
          for (const p of [a, b]) await stopped(p);
        }
        await verify(kafka, ctx, INITIAL, lines);
        await verifyChangeLog(ctx, INITIAL, lines);
        await ctx.pipeline.close();
      });

      await t.step(
        "SIGKILL mid-batch, restart: every effect and event exactly once",
        async () => {
          const ctx = await setup(backend, "eos", INITIAL);
          const lines = movements(3000, Object.keys(INITIAL), 2);
          const topic = ctx.pipeline.topics.inventoryOrders.name;
          await produceLines(kafka, topic, ctx.pipeline.registryUrl, lines);
          let kills = 0;
          let before = 0;
          while (kills < 3 && !(await caughtUp(ctx.group, topic))) {
            const p = startScript(CONSUMER, ctx.args(["--batch-size", "20"]));
            // Let it make progress past the last kill, then kill it without warning.
            before = await waitFor("progress before the kill", async () => {
              const n = await committedCount(ctx.group, topic);
              return n >= before + 300 || (await caughtUp(ctx.group, topic)) ? n || 1 : 0;
            }, { timeoutMs: 90_000, intervalMs: 50 });
            p.kill("SIGKILL");
            await p.status;
            kills++;
          }
          const last = startScript(CONSUMER, ctx.args(["--batch-size", "20"]));
          try {
            await explained({ consumer: last }, () =>
              waitFor(
                "the last instance to finish",
                () => caughtUp(ctx.group, topic),
                { timeoutMs: 120_000, intervalMs: 300 },
              ));
          } finally {
            await stopped(last);
          }
          await verify(kafka, ctx, INITIAL, lines);
          await verifyChangeLog(ctx, INITIAL, lines);
          await ctx.pipeline.close();
        },
      );

      await t.step(
        "SIGKILLs while a fifth of attempts fail: each line applied once or dead-lettered once",
        async () => {
          const ctx = await setup(backend, "eos-retry", INITIAL);
          const topic = ctx.pipeline.topics.inventoryOrders.name;
          // Restocks only: the final stock does not depend on the order retries change.
          const lines = movements(1200, Object.keys(INITIAL), 9).map((l) => ({
            ...l,
            movement: "RESTOCK" as const,
          }));
          await produceLines(kafka, topic, ctx.pipeline.registryUrl, lines);
          const args = ctx.args([
            "--batch-size",
            "20",
            "--inject-failure-rate",
            "0.2",
            "--retry-initial-ms",
            "200",
            "--retry-multiplier",
            "1.5",
          ]);
          let before = 0;
          for (let kills = 0; kills < 3; kills++) {
            const p = startScript(CONSUMER, args);
            before = await explained(
              { consumer: p },
              () =>
                waitFor("progress before the kill", async () => {
                  const n = await committedCount(ctx.group, topic);
                  return n >= before + 250 || (await caughtUp(ctx.group, topic)) ? n || 1 : 0;
                }, { timeoutMs: 90_000, intervalMs: 50 }),
            );
            p.kill("SIGKILL");
            await p.status;
          }
          const last = startScript(CONSUMER, args);
          const done = async () => {
            const events = await readAllCommitted(kafka, ctx.statusTopic);
            const dead = await readAllCommitted(kafka, ctx.pipeline.topics.ordersDlq.name);
            return events.length + dead.length >= lines.length ? { events, dead } : undefined;
          };
          let outcome: NonNullable<Awaited<ReturnType<typeof done>>>;
          try {
            outcome = await explained(
              { consumer: last },
              () =>
                waitFor("every line applied or dead-lettered", done, {
                  timeoutMs: 120_000,
                  intervalMs: 1000,
                }),
            );
          } finally {
            await stopped(last);
          }
          const applied = outcome.events.map((m) => JSON.parse(m.value!.toString()).orderId);
          const dead = outcome.dead.map((m) => readDeadLetterHeaders(m.headers).originalKey);
          assert.equal(new Set(applied).size, applied.length, "no line applied twice");
          const deadIds = outcome.dead.map((m) => {
            const h = readDeadLetterHeaders(m.headers);
            return `${h.originalPartition}/${h.originalOffset}`;
          });
          assert.equal(new Set(deadIds).size, deadIds.length, "no line dead-lettered twice");
          assert.equal(applied.length + dead.length, lines.length, "none lost");
          // The dead-lettered lines' restocks never happened.
          const appliedSet = new Set(applied);
          const expected = simulate(INITIAL, lines.filter((l) => appliedSet.has(l.orderId))).stock;
          const store = await openStore({ url: ctx.databaseUrl, log });
          try {
            assert.deepEqual(Object.fromEntries(await store.allStock()), expected);
          } finally {
            await store.close();
          }
          console.log(`applied ${applied.length}, dead-lettered ${dead.length} after retries`);
          await ctx.pipeline.close();
        },
      );

      await t.step(
        "bad records and failing ones: the DLQ with reasons, or retries; the partition moves on",
        async () => {
          const ctx = await setup(backend, "bad", INITIAL);
          const topic = ctx.pipeline.topics.inventoryOrders.name;
          // All on SKU-A: one partition, so good records sit behind bad ones.
          const good = movements(30, ["SKU-A"], 4).map((l) => ({
            ...l,
            movement: "RESTOCK" as const,
          }));
          const [poison, flaky] = [good[3].orderId, good[7].orderId];
          await produceLines(kafka, topic, ctx.pipeline.registryUrl, good.slice(0, 10));
          const codec = await createAvroCodec({
            registry: { url: ctx.pipeline.registryUrl },
            subject: INVENTORY_ORDERS_SUBJECT,
            schemas: [INVENTORY_ORDER_SCHEMA, INVENTORY_ORDER_SCHEMA_V2],
          });
          const framed = (id: number, body: number[]) =>
            Buffer.from([
              0,
              (id >>> 24) & 255,
              (id >>> 16) & 255,
              (id >>> 8) & 255,
              id & 255,
              ...body,
            ]);
          const bad = [
            { case: "no magic byte", value: Buffer.from('{"orderId":"x"}'), class: "decode" },
            { case: "unknown schema id", value: framed(987_654, [2, 3]), class: "registry" },
            {
              case: "not the registered schema",
              value: framed(codec.schemaId, [255]),
              class: "decode",
            },
          ];
          await produceMessages(kafka, topic, bad.map((b) => ({ key: "SKU-A", value: b.value })));
          await produceLines(kafka, topic, ctx.pipeline.registryUrl, [
            { orderId: "ord-zero", lineIndex: 0, sku: "SKU-A", quantity: 0, movement: "RESTOCK" },
            ...good.slice(10),
          ]);
          const proc = startScript(
            CONSUMER,
            ctx.args([
              "--retry-attempts",
              "1",
              "--retry-initial-ms",
              "300",
              "--inject-poison-orders",
              poison,
              "--inject-flaky-orders",
              `${flaky}:1`,
            ]),
          );
          let dead: Awaited<ReturnType<typeof readAllCommitted>> = [];
          try {
            dead = await explained(
              { consumer: proc },
              () =>
                waitFor("five dead letters", async () => {
                  const got = await readAllCommitted(kafka, ctx.pipeline.topics.ordersDlq.name);
                  return got.length >= 5 ? got : undefined;
                }, { timeoutMs: 60_000, intervalMs: 500 }),
            );
            await explained(
              { consumer: proc },
              () =>
                waitFor("every good line applied", async () => {
                  const events = await readAllCommitted(kafka, ctx.statusTopic);
                  return events.length >= good.length - 1;
                }, { timeoutMs: 60_000, intervalMs: 500 }),
            );
            // The counters say it too.
            const metrics = proc.output().match(/"msg":"metrics","url":"([^"]+)"/)?.[1];
            assert.ok(metrics, "the consumer logs its metrics URL");
            assert.equal(await scrapeCounter(metrics, "consumer_dead_lettered_total"), 5);
            assert.equal(
              await scrapeCounter(metrics, "retry_handoffs_total", { outcome: "retry" }),
              2,
              "the poison and the flaky line were each retried once",
            );
          } finally {
            await stopped(proc);
          }
          const classes = dead.map((m) => readDeadLetterHeaders(m.headers))
            .map((h) => `${h.errorClass}:${h.attempts}`).sort();
          assert.deepEqual(classes, [
            "decode:1",
            "decode:1",
            "injected:2",
            "registry:1",
            "validation:1",
          ]);
          for (const m of dead) {
            const h = readDeadLetterHeaders(m.headers);
            assert.equal(h.originalTopic, topic);
            assert.equal(h.stage, "inventory_data_consumer");
            assert.ok(h.reason && h.reason.length > 5, "a reason");
          }
          assert.match(proc.output(), /dead-lettered/);
          const events = (await readAllCommitted(kafka, ctx.statusTopic)).map((m) =>
            JSON.parse(m.value!.toString()).orderId as string
          );
          assert.equal(events.length, good.length - 1, "every good line once, the poison none");
          assert.ok(events.includes(flaky), "the flaky line went through on its retry");
          assert.ok(!events.includes(poison));
          const store = await openStore({ url: ctx.databaseUrl, log });
          try {
            const restocked = good.filter((l) => l.orderId !== poison)
              .reduce((n, l) => n + l.quantity, 0);
            assert.equal(Object.fromEntries(await store.allStock())["SKU-A"], 40 + restocked);
          } finally {
            await store.close();
          }
          await ctx.pipeline.close();
        },
      );

      if (backend.name === "SQLite") {
        await t.step("the registry down while consuming: retried, then applied", async () => {
          const ctx = await setup(backend, "registry-down", INITIAL);
          const topic = ctx.pipeline.topics.inventoryOrders.name;
          const lines = movements(100, ["SKU-B"], 6);
          await produceLines(kafka, topic, ctx.pipeline.registryUrl, lines);
          await ctx.pipeline.stopRegistry();
          const proc = startScript(CONSUMER, ctx.args(["--retry-initial-ms", "1500"]));
          try {
            await explained({ consumer: proc }, () =>
              waitFor(
                "records handed to a retry topic",
                () => /handed to a retry topic/.test(proc.output()),
                { timeoutMs: 60_000 },
              ));
            await ctx.pipeline.startRegistry();
            await explained({ consumer: proc }, () =>
              waitFor("every line applied", async () => {
                const events = await readAllCommitted(kafka, ctx.statusTopic);
                return events.length >= lines.length;
              }, { timeoutMs: 90_000, intervalMs: 500 }));
          } finally {
            await stopped(proc);
          }
          assert.match(proc.output(), /"class":"(registry|network)"/);
          await verify(kafka, ctx, INITIAL, lines);
          assert.deepEqual(await readAllCommitted(kafka, ctx.pipeline.topics.ordersDlq.name), []);
          await ctx.pipeline.close();
        });
      }

      if (backend.name === "PostgreSQL") {
        await t.step("the database down for a while: retried, then applied once", async () => {
          const ctx = await setup(backend, "db-down", INITIAL);
          const topic = ctx.pipeline.topics.inventoryOrders.name;
          // Restocks only: their sum does not depend on the order retries change.
          const restocks = (n: number, seed: number) =>
            movements(n, ["SKU-C", "SKU-D"], seed).map((l) => ({
              ...l,
              movement: "RESTOCK" as const,
            }));
          const [before, during] = [restocks(50, 7), restocks(150, 8)];
          await produceLines(kafka, topic, ctx.pipeline.registryUrl, before);
          const proc = startScript(CONSUMER, ctx.args(["--retry-initial-ms", "2000"]));
          const database = new URL(ctx.databaseUrl).pathname.slice(1);
          const admin = new pg.Client({
            connectionString: withDatabase(ctx.databaseUrl, "postgres"),
          });
          await admin.connect();
          try {
            await explained(
              { consumer: proc },
              () =>
                waitFor("the first lines applied", async () => {
                  return (await readAllCommitted(kafka, ctx.statusTopic)).length >= before.length;
                }, { timeoutMs: 60_000, intervalMs: 500 }),
            );
            // The outage: no new connections, and the open ones cut.
            await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
            await admin.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
              [database],
            );
            await produceLines(kafka, topic, ctx.pipeline.registryUrl, during);
            await explained({ consumer: proc }, () =>
              waitFor(
                "records handed to a retry topic",
                () => /handed to a retry topic/.test(proc.output()),
                { timeoutMs: 60_000 },
              ));
            await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
            await explained({ consumer: proc }, () =>
              waitFor("every line applied", async () => {
                const events = await readAllCommitted(kafka, ctx.statusTopic);
                return events.length >= before.length + during.length;
              }, { timeoutMs: 90_000, intervalMs: 500 }));
          } finally {
            await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`).catch(
              () => {},
            );
            await admin.end();
            await stopped(proc);
          }
          await verify(kafka, ctx, INITIAL, [...before, ...during]);
          assert.deepEqual(await readAllCommitted(kafka, ctx.pipeline.topics.ordersDlq.name), []);
          await ctx.pipeline.close();
        });
      }

      await t.step("three instances, one killed: the others take over and finish", async () => {
        const ctx = await setup(backend, "rebalance", INITIAL);
        const lines = movements(1500, Object.keys(INITIAL), 3);
        const topic = ctx.pipeline.topics.inventoryOrders.name;
        await produceLines(kafka, topic, ctx.pipeline.registryUrl, lines);
        const procs = [0, 1, 2].map(() => startScript(CONSUMER, ctx.args(["--batch-size", "20"])));
        try {
          await waitFor(
            "all three to join",
            () => procs.every((p) => /rebalanced/.test(p.output())),
            {
              timeoutMs: 60_000,
            },
          );
          procs[0].kill("SIGKILL");
          await procs[0].status;
          // The group notices the dead member after its session timeout, however
          // much work is left: wait for that rebalance, and for the work to finish.
          const rebalances = () =>
            procs.slice(1).map((p) => p.output().match(/rebalanced/g)?.length ?? 0);
          await waitFor(
            "a survivor to take over, and the survivors to finish",
            async () => rebalances().some((n) => n >= 2) && await caughtUp(ctx.group, topic),
            { timeoutMs: 120_000, intervalMs: 300 },
          );
        } finally {
          for (const p of procs.slice(1)) await stopped(p);
        }
        await verify(kafka, ctx, INITIAL, lines);
        await ctx.pipeline.close();
      });
    } finally {
      await backend.close();
    }
  });
}

/**
 * Two instances over a stream topped up all along; one is frozen (SIGSTOP)
 * with work in hand until the group has moved on without it, then woken.
 * Its late work must be refused, and it must carry on or stop in one line;
 * every line is applied once and every event published once.
 */
async function frozenInstanceIsFenced(kafka: TestKafka, backend: Backend) {
  // Twelve SKUs, which land on all six partitions: each instance has work on each of its own.
  const skus = Array.from({ length: 12 }, (_, i) => `SKU-Z${String(i).padStart(2, "0")}`);
  const initial = Object.fromEntries(skus.map((sku) => [sku, 60]));
  const ctx = await setup(backend, "zombie", initial);
  const topic = ctx.pipeline.topics.inventoryOrders.name;
  const partitions = ctx.pipeline.topics.inventoryOrders.partitions;
  const encode = await lineEncoder(ctx.pipeline.registryUrl);
  const lines = movements(600, skus, 21);
  await produceMessages(kafka, topic, await encode(lines));
  const admin = testAdmin("zombie-offsets");
  let filled;
  try {
    filled = (await topicOffsets(admin, topic)).filter((p) => p.high > 0);
  } finally {
    await admin.close();
  }
  assert.equal(filled.length, partitions, "every partition has records");
  // More all along: whenever one is frozen it has work in hand.
  const topUp = keepProducing(kafka, topic, async (round) => {
    const more = movements(20, skus, 1000 + round);
    lines.push(...more);
    return await encode(more);
  }, { everyMs: 100 });
  // Small transactions, so that a freeze very likely lands inside one.
  const args = ctx.args(["--transaction-size", "10", "--linger-ms", "20"]);
  // Client ids of their own: Kafka's tool then tells the two members apart.
  const [a, b] = ["a", "b"].map((name) =>
    startScript(CONSUMER, [...args, "--client-id", `zombie-${name}`])
  );
  let woken = { wokeAt: 0, freezes: 0 };
  let done = false;
  try {
    await explained({ a, b }, async () => {
      await bothAtWork(ctx.group, { name: topic, partitions });
      woken = await freezeUntilMovedOn(a, {
        group: ctx.group,
        topic: { name: topic, partitions },
        // b goes on committing while a is frozen, unless a froze holding the store's lock.
        othersProgress: () => committedCount(ctx.group, topic),
      });
      await waitFor(
        "the woken instance back in the group, or stopped",
        async () => !processAlive(a.pid) || (await groupMembers(ctx.group)).length === 2,
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      await topUp.stop();
      await waitFor("every line applied", () => caughtUp(ctx.group, topic), {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
    });
    done = true;
  } finally {
    if (!done) {
      await topUp.stop().catch(() => {});
      for (const p of [a, b]) p.kill("SIGKILL");
      await Promise.all([a.status, b.status]);
    }
  }
  await stopped(b);
  const end = await stopWoken(a, woken.wokeAt);
  await verifyIndependently(ctx, initial, lines, "SKU-Z");
  await verify(kafka, ctx, initial, lines);
  const refused = refusedWork(end.late);
  assert.ok(refused.length > 0, `its late work was refused:\n${end.late}`);
  assertWokenEndedWell(end);
  console.log(
    `${lines.length} lines, ${woken.freezes} freeze(s); the woken instance ${end.how}, ` +
      `refused: ${[...new Set(refused.map((l) => l.msg))].join(" | ")}`,
  );
  await ctx.pipeline.close();
}

for (const makeBackend of BACKENDS) {
  Deno.test(
    `inventory consumer on ${makeBackend.label}: a frozen instance the group moved on from is fenced when it wakes`,
    integration,
    async () => {
      const backend = await makeBackend();
      try {
        await frozenInstanceIsFenced(testKafka(), backend);
      } finally {
        await backend.close();
      }
    },
  );
}
