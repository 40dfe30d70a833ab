/**
 * Kafka Connect on the real worker (scripts/connect.ts: Apache Kafka's
 * Connect runtime, Debezium's PostgreSQL outbox source and JDBC sink) and a
 * real PostgreSQL with logical replication. A storefront places inventory
 * orders (its order row and the outbox row in one transaction each); the
 * inventory routing producer and the inventory consumer take them from
 * there. The worker's JVM is SIGKILLed while orders are still being placed,
 * then started again. Counted independently of the product's Kafka layer:
 * `orders` and `order_status` with Kafka's Java consumer (read_committed),
 * the consumer's store and the sink's reporting table with SQL.
 * @module
 */
import assert from "node:assert/strict";
// @ts-types="@types/pg"
import pg from "pg";
import { createDatabase, startLocalPostgres } from "../shared/dev/local_postgres.ts";
import { freePort } from "../shared/dev/broker/local_kafka.ts";
import { placeOrderStatements } from "../shared/connect/connectors.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import type { RawOrder } from "../shared/orders/model.ts";
import { parseStatusEvent } from "../shared/orders/status_event.ts";
import { dataConsumerArgs } from "./data_consumer.ts";
import { integration, testBrokers, testKafka, testLogger, uniqueName, waitFor } from "./harness.ts";
import {
  createTopics,
  exited,
  explained,
  logLines,
  rawOrders,
  readAllCommitted,
  routerCommitted,
  type ScriptProcess,
  startRouter,
  startScript,
  startTestPipeline,
  stopped,
} from "./pipeline.ts";

const ORDERS = 40;
/** Placed before the kill; the rest while the worker is down and after it is back. */
const BEFORE_KILL = 20;
/** The JVM starts, scans its plugins and runs two connectors: slow on two busy cores. */
const CONNECT_START_MS = 420_000;

Deno.test(
  "connect: outbox orders reach the pipeline exactly once across a SIGKILLed worker, and their status rows land in the sink table",
  integration,
  async () => {
    const server = await startLocalPostgres({
      log: testLogger("postgres"),
      settings: { wal_level: "logical", max_replication_slots: "4", max_wal_senders: "4" },
    });
    const pipeline = await startTestPipeline("connect");
    const processes: ScriptProcess[] = [];
    const shopUrl = await createDatabase(server.url, "shop");
    const reportUrl = await createDatabase(server.url, "report");
    const shop = new pg.Client({ connectionString: shopUrl });
    const report = new pg.Client({ connectionString: reportUrl });
    try {
      const storeUrl = await createDatabase(server.url, "store");
      const status = renamed(TOPICS.orderStatus, uniqueName("connect-status"));
      await createTopics([status]);
      const connectArgs = [
        "--brokers",
        testBrokers().join(","),
        "--source-database-url",
        shopUrl,
        "--sink-database-url",
        reportUrl,
        "--orders-topic",
        pipeline.topics.orders.name,
        "--status-topic",
        status.name,
        "--group-id",
        uniqueName("connect"),
        "--rest-port",
        String(freePort()),
        "--metrics-port",
        "0",
        "--start-timeout-ms",
        String(CONNECT_START_MS),
      ];
      const startConnect = async () => {
        const proc = startScript("scripts/connect.ts", connectArgs);
        processes.push(proc);
        await explained({ connect: proc }, () =>
          waitFor("the connectors to run", () => {
            if (/"level":"error"/.test(proc.output())) throw new Error("connect failed");
            return proc.output().includes('"msg":"connectors running"');
          }, { timeoutMs: CONNECT_START_MS + 30_000, intervalMs: 500 }));
        return proc;
      };

      let connect = await startConnect();
      await shop.connect();
      await report.connect();
      const router = startRouter(pipeline, "inventory");
      const consumer = startScript(
        "consumers/inventory_data_consumer.ts",
        dataConsumerArgs({
          registryUrl: pipeline.registryUrl,
          databaseUrl: storeUrl,
          sourceTopics: [pipeline.topics.inventoryOrders.name],
          statusTopic: status.name,
          dlqTopic: pipeline.topics.ordersDlq.name,
          groupId: uniqueName("connect-inventory"),
        }),
      );
      processes.push(router, consumer);

      const orders = rawOrders(ORDERS, { seed: 618, invalidRate: 0, mix: { inventory: 1 } })
        .map((r) => JSON.parse(r.value) as RawOrder);
      const place = async (order: RawOrder) => {
        await shop.query("BEGIN");
        for (const s of placeOrderStatements(order)) await shop.query(s.text, s.values);
        await shop.query("COMMIT");
      };
      for (const order of orders.slice(0, BEFORE_KILL)) await place(order);

      // Mid-stream: the router has some of the orders, and the storefront goes on placing more.
      await explained(
        { connect, router },
        () =>
          waitFor(
            "the first routed orders",
            async () => await routerCommitted(pipeline, "inventory") >= 5,
            {
              timeoutMs: 120_000,
              intervalMs: 200,
            },
          ),
      );
      const placing = (async () => {
        for (const order of orders.slice(BEFORE_KILL)) {
          await place(order);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const jvm = logLines(connect.output())
        .find((l) => l.msg === "Kafka Connect worker starting") as { pid?: number } | undefined;
      assert.ok(jvm?.pid, `the worker's pid is logged:\n${connect.output()}`);
      Deno.kill(jvm.pid, "SIGKILL");
      const died = await exited(connect, 60_000);
      assert.equal(died.code, 1, connect.output());
      const deathLine = logLines(connect.output()).find((l) =>
        l.msg.startsWith("the Kafka Connect worker died")
      ) as { signal?: string } | undefined;
      assert.equal(deathLine?.signal, "SIGKILL", `the worker was SIGKILLed:\n${connect.output()}`);

      connect = await startConnect();
      await placing;

      const expectedLines = new Map(orders.map((o) => [o.orderId, o.items.length]));
      const totalLines = [...expectedLines.values()].reduce((a, b) => a + b, 0);
      await explained({ connect, router, consumer }, async () => {
        await waitFor("every line in the store", async () => {
          const { rows } = await queryStore(
            storeUrl,
            "SELECT count(*)::int AS n FROM inventory_lines",
          );
          return rows[0].n >= totalLines;
        }, { timeoutMs: 240_000, intervalMs: 500 });
        await waitFor("every line's status in the sink table", async () => {
          const { rows } = await report.query(
            "SELECT count(DISTINCT event_id)::int AS n FROM order_status_report WHERE source = 'inventory'",
          );
          return rows[0].n >= totalLines;
        }, { timeoutMs: 240_000, intervalMs: 500 });
      });

      // Stopped first: the oracles' end markers are no status events.
      await stopped(connect);
      await stopped(router);
      await stopped(consumer);

      const kafka = testKafka();
      // Oracle 1: each order on `orders` exactly once (the outbox source's transactions).
      const raw = await readAllCommitted(kafka, pipeline.topics.orders.name);
      const keys = raw.map((r) => r.key?.toString() ?? "");
      assert.deepEqual([...keys].sort(), orders.map((o) => o.orderId).sort());
      for (const r of raw) {
        assert.equal(r.headers["content-type"]?.toString(), "application/json");
        const order = JSON.parse(r.value!.toString()) as RawOrder;
        assert.equal(order.orderId, r.key?.toString());
      }

      // Oracle 2: each line applied once in the consumer's store.
      const { rows: lines } = await queryStore(
        storeUrl,
        "SELECT order_id, count(*)::int AS n FROM inventory_lines GROUP BY order_id",
      );
      assert.deepEqual(
        new Map(lines.map((r: { order_id: string; n: number }) => [r.order_id, r.n])),
        expectedLines,
      );

      // Oracle 3: the sink table holds every status record once, and so every line's status.
      const statusRecords = await readAllCommitted(kafka, status.name);
      const events = statusRecords.map((r) => parseStatusEvent(r.value?.toString()));
      const { rows: sunk } = await report.query(
        "SELECT event_id, order_id, __connect_partition, __connect_offset FROM order_status_report",
      );
      assert.equal(sunk.length, statusRecords.length, "one row per status record");
      assert.deepEqual(
        new Set(sunk.map((r: { event_id: string }) => r.event_id)),
        new Set(events.map((e) => "eventId" in e ? e.eventId : e.invalid)),
      );
      const perOrder = new Map<string, Set<string>>();
      for (const r of sunk as { event_id: string; order_id: string }[]) {
        perOrder.set(r.order_id, (perOrder.get(r.order_id) ?? new Set()).add(r.event_id));
      }
      for (const [orderId, n] of expectedLines) {
        assert.equal(perOrder.get(orderId)?.size, n, `${orderId}: one status per line`);
      }
    } finally {
      // SIGTERM: a connect script still running stops its JVM before it exits.
      for (const p of processes) p.kill("SIGTERM");
      await Promise.all(processes.map((p) => exited(p).catch(() => {})));
      await shop.end().catch(() => {});
      await report.end().catch(() => {});
      await pipeline.close();
      await server.stop();
    }
  },
);

async function queryStore(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
