/**
 * Intake on the real broker: the gateway (its handler under Deno.serve, the
 * real intake, a topic per test), the intake's batching, Kafka down, and the
 * generator and import scripts run as subprocesses with the permission flags
 * of scripts/services.ts. What a test claims is in the topic is read back.
 */
import assert from "node:assert/strict";
import { createOrderIntake, IntakeError } from "../shared/intake/intake.ts";
import { createGatewayHandler } from "../shared/intake/intake_http.ts";
import { MetricsRegistry } from "../shared/platform/metrics.ts";
import type { RawOrder } from "../shared/orders/model.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import { partitionCount, topicOffsets } from "../shared/kafka/admin.ts";
import {
  integration,
  testAdmin,
  testBrokers,
  testConnection,
  testKafka,
  testLogger,
  uniqueName,
  waitFor,
} from "./harness.ts";
import { freePort } from "../shared/dev/broker/local_kafka.ts";
import {
  brokerAndTopic,
  consumeRecords,
  createTopics,
  runGenerator,
  runScript,
  type TestKafka,
  type TestRecord,
} from "./pipeline.ts";

async function newOrdersTopic(): Promise<string> {
  const spec = renamed(TOPICS.orders, uniqueName("orders"));
  await createTopics([spec]);
  return spec.name;
}

/** Every record of `topic`: counted exactly from its offsets, then read with a consumer. */
async function readTopic(kafka: TestKafka, topic: string): Promise<TestRecord[]> {
  const admin = testAdmin("intake-offsets");
  let total = 0;
  try {
    for (const p of await topicOffsets(admin, topic)) total += p.high - p.low;
  } finally {
    await admin.close();
  }
  return total === 0 ? [] : await consumeRecords(kafka, topic, total);
}

function order(orderId: string | undefined, type = "inventory"): Record<string, unknown> {
  return {
    ...(orderId === undefined ? {} : { orderId }),
    type,
    customerId: "cust-7",
    items: [{ sku: "SKU-1001", quantity: 2, unitPrice: 24.99 }],
  };
}

function postOrders(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test(
  "gateway: every 202 is in the topic, keyed by order id; refused orders are not",
  integration,
  async () => {
    const kafka = testKafka("intake-gateway");
    const topic = await newOrdersTopic();
    const metrics = new MetricsRegistry();
    const intake = createOrderIntake({
      connection: testConnection("intake-gateway"),
      topic,
      log: testLogger("intake"),
      metrics,
      source: "gateway",
      reconnect: true,
    });
    await intake.connect();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      createGatewayHandler({ intake, healthy: () => intake.connected, metrics }),
    );
    const url = `http://127.0.0.1:${server.addr.port}`;
    try {
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();

      const accepted: string[] = [];
      const one = await postOrders(url, order(uniqueName("ord")));
      assert.equal(one.status, 202);
      accepted.push(...(await one.json()).orderIds);

      const batch = await postOrders(url, [
        order(undefined),
        order(uniqueName("ord"), "delivery-later"),
        order(undefined, "return"),
      ]);
      assert.equal(batch.status, 202);
      const batchIds: string[] = (await batch.json()).orderIds;
      assert.equal(batchIds.length, 3);
      accepted.push(...batchIds);

      // Requests at once: each 202 still means its own orders are in.
      const together = await Promise.all(
        Array.from({ length: 8 }, () => postOrders(url, order(undefined))),
      );
      for (const res of together) {
        assert.equal(res.status, 202);
        accepted.push(...(await res.json()).orderIds);
      }

      const refusedId = uniqueName("refused");
      const mixed = await postOrders(url, [
        order(refusedId),
        { ...order(uniqueName("bad")), items: [] },
      ]);
      assert.equal(mixed.status, 400);
      assert.deepEqual((await mixed.json()).problems.map((p: { path: string }) => p.path), [
        "[1].items",
      ]);
      const invalid = await postOrders(url, { ...order(uniqueName("bad")), customerId: 5 });
      assert.equal(invalid.status, 400);
      await invalid.body?.cancel();

      const records = await readTopic(kafka, topic);
      assert.equal(records.length, accepted.length, "exactly the accepted orders");
      const byId = new Map(records.map((m) => [m.key!.toString(), m]));
      assert.deepEqual([...byId.keys()].sort(), [...accepted].sort());
      assert.ok(!byId.has(refusedId), "the valid order of a refused batch was not sent");
      for (const [key, m] of byId) {
        const value = JSON.parse(m.value!.toString()) as RawOrder;
        assert.equal(value.orderId, key);
        assert.equal(m.headers?.["content-type"]?.toString(), "application/json");
        assert.ok(!Number.isNaN(Date.parse(value.createdAt)), "createdAt filled in");
      }
      assert.equal(
        metrics.counter("intake_orders_total", "", ["source"]).get({ source: "gateway" }),
        accepted.length,
      );
    } finally {
      await server.shutdown();
      await intake.close();
    }
  },
);

Deno.test(
  "intake: sends in one tick share one produce request, each resolved on its own ack",
  integration,
  async () => {
    const kafka = testKafka("intake-batching");
    const topic = await newOrdersTopic();
    const metrics = new MetricsRegistry();
    const intake = createOrderIntake({
      connection: testConnection("intake-batching"),
      topic,
      log: testLogger("intake"),
      metrics,
    });
    try {
      await intake.connect();
      const ids = Array.from({ length: 10 }, () => uniqueName("ord"));
      const orders = ids.map((id) => ({ ...order(id), createdAt: "2024-06-18T12:00:00Z" }));
      await Promise.all(orders.map((o) => intake.send([o as unknown as RawOrder])));
      const batches = metrics.histogram("intake_batch_orders", "").stats();
      assert.deepEqual(batches, { count: 1, sum: 10 }, "ten sends, one request");
      const records = await readTopic(kafka, topic);
      assert.deepEqual(records.map((m) => m.key!.toString()).sort(), [...ids].sort());
      assert.equal(JSON.parse(records[0].value!.toString()).createdAt, "2024-06-18T12:00:00Z");
    } finally {
      await intake.close();
    }
    await assert.rejects(
      intake.send([order("late") as unknown as RawOrder]),
      (err: Error) => err instanceof IntakeError && err.kind === "closed",
    );
  },
);

Deno.test(
  "Kafka down: the intake refuses, the gateway answers 503 and /healthz 503",
  integration,
  async () => {
    const port = freePort(); // nobody listens on it
    const connection = { brokers: [`127.0.0.1:${port}`], clientId: "intake-down", retries: 1 };
    const gatewayIntake = createOrderIntake({
      connection,
      topic: "orders-nowhere",
      log: testLogger("intake"),
      retries: 1,
      reconnect: true,
    });
    const lazyIntake = createOrderIntake({
      connection,
      topic: "orders-nowhere",
      log: testLogger("intake"),
      retries: 1,
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      createGatewayHandler({ intake: gatewayIntake, healthy: () => gatewayIntake.connected }),
    );
    const url = `http://127.0.0.1:${server.addr.port}`;
    try {
      await assert.rejects(gatewayIntake.connect(), (err: Error) => {
        assert.ok(err instanceof IntakeError);
        assert.equal(err.kind, "unavailable");
        assert.match(err.message, /cannot connect to Kafka/);
        return true;
      });
      const res = await postOrders(url, order(uniqueName("ord")));
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "5");
      assert.match((await res.json()).error, /Kafka is unavailable/);
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 503);
      await health.body?.cancel();

      // Without reconnect, a send connects first, and fails the same way.
      await assert.rejects(
        lazyIntake.send([order("ord-1") as unknown as RawOrder]),
        (err: Error) => err instanceof IntakeError && err.kind === "unavailable",
      );
    } finally {
      await server.shutdown();
      await Promise.all([gatewayIntake.close(), lazyIntake.close()]);
    }
  },
);

/**
 * A TCP forwarder from `port` to the broker: Kafka "coming back" on an
 * address the client was given. Bootstrap goes through it; the broker's
 * metadata then sends the client to the broker's own address.
 */
function forwardToBroker(port: number) {
  const [host, brokerPort] = testBrokers()[0].split(":");
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      const upstream = await Deno.connect({ hostname: host, port: Number(brokerPort) });
      conns.push(conn, upstream);
      conn.readable.pipeTo(upstream.writable).catch(() => {});
      upstream.readable.pipeTo(conn.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}

Deno.test(
  "gateway started with Kafka down answers 503, then recovers when Kafka is reachable",
  integration,
  async () => {
    const topic = await newOrdersTopic();
    const port = freePort();
    const intake = createOrderIntake({
      connection: { brokers: [`127.0.0.1:${port}`], clientId: "intake-recover", retries: 1 },
      topic,
      log: testLogger("intake"),
      retries: 1,
      reconnect: true,
      reconnectMaxMs: 1000,
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      createGatewayHandler({ intake, healthy: () => intake.connected }),
    );
    const url = `http://127.0.0.1:${server.addr.port}`;
    let forwarder: { close(): void } | undefined;
    try {
      await assert.rejects(intake.connect());
      const down = await postOrders(url, order(uniqueName("ord")));
      assert.equal(down.status, 503);
      await down.body?.cancel();

      forwarder = forwardToBroker(port);
      await waitFor("/healthz 200 after Kafka came back", async () => {
        const res = await fetch(`${url}/healthz`);
        await res.body?.cancel();
        return res.status === 200;
      });
      const id = uniqueName("ord");
      const up = await postOrders(url, order(id));
      assert.equal(up.status, 202);
      await up.body?.cancel();
      const records = await readTopic(testKafka("intake-recover-reader"), topic);
      assert.deepEqual(records.map((m) => m.key!.toString()), [id]);
    } finally {
      await server.shutdown();
      await intake.close();
      forwarder?.close();
    }
  },
);

Deno.test(
  "generator: --count 200 --rate 0 puts exactly 200 orders, keyed by id, in the mix",
  integration,
  async () => {
    const kafka = testKafka("intake-generator");
    const topic = await newOrdersTopic();
    const { totals, log } = await runGenerator(topic, { count: 200, seed: 7 }, [
      "--batch-size",
      "50",
      "--mix",
      "inventory=45,delivery=45,return=10",
    ]);
    assert.equal(totals.sent, 200);
    assert.equal(totals.seed, 7);
    assert.match(log, /"seed":7/, "the seed is logged at start");

    const records = await readTopic(kafka, topic);
    assert.equal(records.length, 200);
    const orders = records.map((m) => JSON.parse(m.value!.toString()) as RawOrder);
    assert.deepEqual(records.map((m) => m.key!.toString()), orders.map((o) => o.orderId));
    assert.equal(new Set(orders.map((o) => o.orderId)).size, 200);
    const byType: Record<string, number> = {};
    for (const o of orders) byType[o.type] = (byType[o.type] ?? 0) + 1;
    assert.deepEqual(byType, totals.byType);
    assert.ok(byType.inventory >= 65 && byType.inventory <= 115, JSON.stringify(byType));
    assert.ok(byType.delivery >= 65 && byType.delivery <= 115, JSON.stringify(byType));
    assert.ok(byType.return >= 8 && byType.return <= 35, JSON.stringify(byType));
  },
);

Deno.test(
  "import: valid lines go in, bad ones are reported by line number, exit 1",
  integration,
  async () => {
    const kafka = testKafka("intake-import");
    // Not created here: the import creates it as declared for `orders`.
    const topic = uniqueName("orders");
    const good = [uniqueName("imp"), uniqueName("imp")];
    const line = (id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ ...order(id), createdAt: "2024-06-18T12:00:00Z", ...extra });
    const file = await Deno.makeTempFile({ suffix: ".ndjson" });
    try {
      await Deno.writeTextFile(
        file,
        [
          line(good[0]),
          '{"orderId": "broken",',
          "",
          line(uniqueName("imp"), { items: [{ sku: "SKU-1001", quantity: -3, unitPrice: 1 }] }),
          line(good[1]),
        ].join("\n") + "\n",
      );
      const run = await runScript("scripts/order_import.ts", [
        ...brokerAndTopic(topic),
        "--file",
        file,
      ]);
      assert.equal(run.code, 1, run.stderr);
      const rejected = run.stderr.split("\n").filter((l) => l.includes('"line rejected"'))
        .map((l) => JSON.parse(l));
      assert.deepEqual(rejected.map((l) => l.line), [2, 4]);
      assert.match(rejected[0].reason, /malformed JSON/);
      assert.match(rejected[1].reason, /items\[0\]\.quantity/);
      const totals = JSON.parse(run.stdout.trim());
      assert.equal(totals.sent, 2);
      assert.equal(totals.rejected, 2);

      const records = await readTopic(kafka, topic);
      assert.deepEqual(records.map((m) => m.key!.toString()).sort(), [...good].sort());
      const admin = testAdmin("intake-partitions");
      try {
        assert.equal(await partitionCount(admin, topic), TOPICS.orders.partitions);
      } finally {
        await admin.close();
      }
    } finally {
      await Deno.remove(file);
    }
  },
);
