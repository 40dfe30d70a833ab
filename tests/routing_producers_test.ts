/**
 * The two routing producers, as real processes on the real broker:
 * filtering by type, Avro through the registry, dead-lettering, partition
 * keys, start-up errors, and exactly-once across SIGKILLs.
 */
import assert from "node:assert/strict";
import { DLQ_HEADERS, readDeadLetterHeaders } from "../shared/retry/dead_letter.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE, routeRecord } from "../shared/router/routing_spec.ts";
import { createCommittedReader } from "../shared/verify/committed_reader.ts";
import { createWireDecoder } from "../shared/verify/wire_avro.ts";
import { processAlive, testBrokers, waitFor } from "./harness.ts";
import {
  assertWokenEndedWell,
  bothAtWork,
  explained,
  freezeUntilMovedOn,
  groupMembers,
  kafkaToolsClasspath,
  keepProducing,
  killAfterProgress,
  pipelineTest,
  produceOrders,
  produceRaw,
  rawOrders,
  readAllCommitted,
  readRouted,
  refusedWork,
  routerArgs,
  routerCaughtUp,
  routerCommitted,
  routerGroup,
  routerTopic,
  ROUTING_PRODUCERS,
  startRouter,
  startScript,
  stopped,
  stopWoken,
  type TestMessage,
} from "./pipeline.ts";

/** A produced message as a raw record, as {@linkcode expectedOutcomes} takes them. */
function asRaw(m: TestMessage): { key: string; value: string } {
  const text = (v: string | Uint8Array | null | undefined) =>
    typeof v === "string" ? v : new TextDecoder().decode(v ?? new Uint8Array());
  return { key: text(m.key), value: text(m.value) };
}

/** What each route must do with each raw record, from the pure router. */
function expectedOutcomes(records: { key: string; value: string }[]) {
  const inventoryLines = new Set<string>();
  const deliveryIds = new Set<string>();
  const deadKeys: string[] = [];
  for (const r of records) {
    const bytes = new TextEncoder().encode(r.value);
    for (const route of [INVENTORY_ROUTE, DELIVERY_ROUTE]) {
      const outcome = routeRecord(route, bytes, 0);
      if (outcome.kind === "dead-letter") deadKeys.push(r.key);
      if (outcome.kind !== "routed") continue;
      for (const rec of outcome.records) {
        if (route === INVENTORY_ROUTE) {
          inventoryLines.add(`${rec.value.orderId}#${rec.value.lineIndex}`);
        } else deliveryIds.add(String(rec.value.orderId));
      }
    }
  }
  return { inventoryLines, deliveryIds, deadKeys: deadKeys.sort() };
}

pipelineTest(
  "each producer routes exactly its own orders, and invalid ones to the DLQ",
  "filter",
  async ({ kafka, pipeline, t }) => {
    const records = rawOrders(300, {
      seed: 7,
      invalidRate: 0.1,
      mix: { inventory: 40, delivery: 40, return: 20 },
    });
    records.push({ key: "junk-1", value: "{not json" }, { key: "junk-2", value: "[1,2]" });
    // The rest of the bad-input matrix: an unknown type, a missing quantity, wrong field types.
    const template = JSON.parse(
      records.find((r) => JSON.parse(r.value).type === "inventory")!.value,
    );
    const variant = (orderId: string, change: (o: Record<string, unknown>) => void) => {
      const o = structuredClone(template);
      o.orderId = orderId;
      delete o.total;
      change(o);
      records.push({ key: orderId, value: JSON.stringify(o) });
    };
    variant("odd-type", (o) => o.type = "gift-card");
    variant("odd-no-quantity", (o) => delete (o.items as Record<string, unknown>[])[0].quantity);
    variant("odd-types", (o) => {
      (o.items as Record<string, unknown>[])[0].quantity = "2";
      o.customerId = 42;
    });
    const expected = expectedOutcomes(records);
    for (const id of ["odd-type", "odd-no-quantity", "odd-types"]) {
      assert.ok(expected.deadKeys.includes(id), `${id} is dead-lettered`);
    }
    assert.ok(expected.inventoryLines.size > 50 && expected.deliveryIds.size > 50);
    assert.ok(expected.deadKeys.length >= 10, "the mix must contain invalid orders");

    await produceRaw(kafka, pipeline.topics.orders.name, records);
    const inventory = startRouter(pipeline, "inventory");
    const delivery = startRouter(pipeline, "delivery");
    try {
      await explained({ inventory, delivery }, () =>
        waitFor(
          "both producers to consume every raw order",
          async () =>
            (await routerCaughtUp(pipeline, "inventory")) &&
            (await routerCaughtUp(pipeline, "delivery")),
          { timeoutMs: 90_000, intervalMs: 500 },
        ));
    } finally {
      await stopped(inventory);
      await stopped(delivery);
    }

    const inventoryOut = await readRouted(kafka, pipeline, "inventory");
    await t.step("inventory_orders holds exactly the inventory lines, once each", () => {
      const lines = inventoryOut.map((r) => `${r.value.orderId}#${r.value.lineIndex}`);
      assert.equal(lines.length, expected.inventoryLines.size, "no duplicates, nothing else");
      assert.deepEqual(new Set(lines), expected.inventoryLines);
      for (const r of inventoryOut) {
        assert.equal(r.key, r.value.sku, "keyed by SKU");
        assert.ok(["RESERVE", "RESTOCK", "RELEASE"].includes(String(r.value.movement)));
        assert.ok("warehouse" in r.value, "written with schema v2");
      }
    });

    await t.step("all stock movements of one SKU land in one partition", async () => {
      const raw = await readAllCommitted(kafka, pipeline.topics.inventoryOrders.name);
      const partitionsOfSku = new Map<string, Set<number>>();
      for (const m of raw) {
        const sku = m.key!.toString();
        partitionsOfSku.set(sku, (partitionsOfSku.get(sku) ?? new Set()).add(m.partition));
      }
      assert.ok(partitionsOfSku.size > 5, "several SKUs");
      for (const [sku, partitions] of partitionsOfSku) {
        assert.equal(partitions.size, 1, `${sku} is in partitions ${[...partitions]}`);
      }
      assert.ok(new Set(raw.map((m) => m.partition)).size > 1, "SKUs spread over partitions");
    });

    const deliveryOut = await readRouted(kafka, pipeline, "delivery");
    await t.step("delivery_orders holds exactly the delivery orders, once each", () => {
      const ids = deliveryOut.map((r) => String(r.value.orderId));
      assert.equal(ids.length, expected.deliveryIds.size);
      assert.deepEqual(new Set(ids), expected.deliveryIds);
      for (const r of deliveryOut) assert.equal(r.key, r.value.orderId, "keyed by order id");
    });

    await t.step(
      "the DLQ holds each invalid or unparseable record once, with its reason",
      async () => {
        const dead = await readAllCommitted(kafka, pipeline.topics.ordersDlq.name);
        assert.deepEqual(dead.map((m) => m.key!.toString()).sort(), expected.deadKeys);
        for (const m of dead) {
          const h = readDeadLetterHeaders(m.headers);
          assert.ok(h.reason && h.reason.length > 0, "a reason");
          assert.ok(["validation", "unparseable"].includes(h.errorClass!));
          assert.equal(h.originalTopic, pipeline.topics.orders.name);
          assert.ok(h.originalOffset && h.originalPartition);
        }
        const junk = dead.find((m) => m.key!.toString() === "junk-1")!;
        assert.match(readDeadLetterHeaders(junk.headers).reason!, /not JSON/);
        assert.equal(readDeadLetterHeaders(junk.headers).stage, "inventory_orders_producer");
        assert.equal(junk.value!.toString(), "{not json", "the original bytes are kept");
        assert.ok(DLQ_HEADERS.reason);
      },
    );
  },
);

pipelineTest(
  "a producer SIGKILLed mid-stream and restarted routes every order exactly once",
  "eos",
  async ({ kafka, pipeline }) => {
    const records = await produceOrders(kafka, pipeline, 4000, {
      seed: 11,
      invalidRate: 0,
      mix: { inventory: 70, delivery: 30 },
    });
    const expected = expectedOutcomes(records);
    // Small transactions, so a kill very likely lands inside one.
    const smallTransactions = ["--transaction-size", "20", "--linger-ms", "20"];

    let kills = 0;
    let before = 0;
    while (kills < 3) {
      // Let it make progress past the last kill, then kill it without warning.
      const progressed = await killAfterProgress(
        startRouter(pipeline, "inventory", smallTransactions),
        async () => {
          const n = await routerCommitted(pipeline, "inventory");
          return n >= before + 300 || (await routerCaughtUp(pipeline, "inventory")) ? n || 1 : 0;
        },
      );
      if (await routerCaughtUp(pipeline, "inventory")) break;
      before = progressed;
      kills++;
    }
    assert.ok(kills >= 1, "at least one kill landed before the end of the stream");

    const last = startRouter(pipeline, "inventory", smallTransactions);
    try {
      await waitFor(
        "the restarted producer to finish the stream",
        () => routerCaughtUp(pipeline, "inventory"),
        { timeoutMs: 120_000, intervalMs: 500 },
      );
    } finally {
      await stopped(last);
    }

    const out = await readRouted(kafka, pipeline, "inventory");
    const lines = out.map((r) => `${r.value.orderId}#${r.value.lineIndex}`);
    const seen = new Map<string, number>();
    for (const l of lines) seen.set(l, (seen.get(l) ?? 0) + 1);
    const duplicated = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(duplicated, [], "no line is visible twice to read_committed");
    const missing = [...expected.inventoryLines].filter((l) => !seen.has(l));
    assert.deepEqual(missing, [], "no line is lost");
    assert.equal(lines.length, expected.inventoryLines.size);
  },
);

pipelineTest(
  "start-up errors are one clear line and exit code 1",
  "startup",
  async ({ pipeline, t }) => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closedPort = (closed.addr as Deno.NetAddr).port;
    closed.close();

    await t.step("the registry is down", async () => {
      const args = routerArgs(pipeline, "inventory");
      args[args.indexOf("--registry-url") + 1] = `http://127.0.0.1:${closedPort}`;
      const proc = startScript(ROUTING_PRODUCERS.inventory, args);
      const status = await proc.status;
      assert.equal(status.code, 1);
      assert.match(proc.output(), /schema registry at http:\/\/127\.0\.0\.1:\d+ cannot be reached/);
    });

    await t.step("Kafka is down", async () => {
      const args = routerArgs(pipeline, "delivery");
      args[args.indexOf("--brokers") + 1] = `127.0.0.1:${closedPort}`;
      const proc = startScript(ROUTING_PRODUCERS.delivery, args);
      const status = await proc.status;
      assert.equal(status.code, 1);
      assert.match(proc.output(), /"level":"error".*(Connection|connect|ECONNREFUSED)/);
    });

    await t.step("a bad flag names itself", async () => {
      const proc = startScript(ROUTING_PRODUCERS.inventory, ["--transaction-size", "0"]);
      const status = await proc.status;
      assert.equal(status.code, 2);
      assert.match(proc.output(), /--transaction-size must be at least 1/);
    });
  },
);

pipelineTest(
  "a frozen instance the group moved on from is fenced when it wakes",
  "zombie",
  async ({ kafka, pipeline }) => {
    const orders = pipeline.topics.orders;
    const group = routerGroup(pipeline, "inventory");
    const mix = { inventory: 70, delivery: 30 };
    const order = (count: number, seed: number) => rawOrders(count, { seed, invalidRate: 0, mix });
    // A backlog, then more all along, on every partition: whenever one is frozen it has work in hand.
    const backlog = order(1000, 41);
    await produceRaw(kafka, orders.name, backlog);
    const topUp = keepProducing(kafka, orders.name, (round) => order(30, 1000 + round), {
      everyMs: 100,
    });
    // Small transactions, so that a freeze very likely lands inside one.
    const small = ["--transaction-size", "10", "--linger-ms", "20"];
    const [a, b] = [0, 1].map(() => startRouter(pipeline, "inventory", small));
    let toppedUp: Awaited<ReturnType<typeof topUp.stop>> = [];
    let wokeAt = 0;
    let done = false;
    try {
      await explained({ a, b }, async () => {
        await bothAtWork(group, orders);
        ({ wokeAt } = await freezeUntilMovedOn(a, { group, topic: orders }));
        await waitFor(
          "the woken instance back in the group, or stopped",
          async () => !processAlive(a.pid) || (await groupMembers(group)).length === 2,
          {
            timeoutMs: 90_000,
            intervalMs: 500,
          },
        );
        toppedUp = await topUp.stop();
        await waitFor("every order routed", () => routerCaughtUp(pipeline, "inventory"), {
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
    const woken = await stopWoken(a, wokeAt);

    // Counted by Kafka's own Java consumer, read_committed, decoded without the product's codec.
    const reader = createCommittedReader({
      classpath: await kafkaToolsClasspath(),
      brokers: testBrokers(),
      topics: [routerTopic(pipeline, "inventory"), pipeline.topics.ordersDlq.name],
    });
    const committed = await reader.readMore();
    const decoder = createWireDecoder(pipeline.registryUrl);
    const routed = committed.filter((r) => r.topic === routerTopic(pipeline, "inventory"));
    const lines = await Promise.all(routed.map(async (r) => {
      const v = await decoder.decode(r.value!);
      return `${v.orderId}#${v.lineIndex}`;
    }));
    // Each copy of a line where it is (partition/offset): the evidence if there are two.
    const seen = new Map<string, string[]>();
    lines.forEach((l, i) => {
      seen.set(l, [...(seen.get(l) ?? []), `${routed[i].partition}/${routed[i].offset}`]);
    });
    assert.deepEqual([...seen].filter(([, c]) => c.length > 1), [], "no line is visible twice");
    const expected = expectedOutcomes([...backlog, ...toppedUp.map(asRaw)]);
    const missing = [...expected.inventoryLines].filter((l) => !seen.has(l));
    assert.deepEqual(missing, [], "no line is lost");
    assert.equal(lines.length, expected.inventoryLines.size, "nothing else");
    const dead = committed.filter((r) => r.topic === pipeline.topics.ordersDlq.name);
    assert.equal(dead.length, 0, "nothing dead-lettered");

    const refused = refusedWork(woken.late);
    assert.ok(refused.length > 0, `its late work was refused:\n${woken.late}`);
    assertWokenEndedWell(woken);
    console.log(
      `${lines.length} lines; the woken instance ${woken.how}, ` +
        `refused: ${[...new Set(refused.map((l) => l.msg))].join(" | ")}`,
    );
  },
);
