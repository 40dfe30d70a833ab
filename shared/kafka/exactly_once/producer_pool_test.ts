import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { partitionId, producerPool } from "./producer_pool.ts";

/** A Kafka whose producers only record their id and their connects and disconnects. */
function fakeKafka() {
  const events: string[] = [];
  const configs: Record<string, unknown>[] = [];
  const kafka = {
    producer(config: { transactionalId: string }) {
      configs.push(config);
      const id = config.transactionalId;
      return {
        id,
        connect: () => (events.push(`connect ${id}`), Promise.resolve()),
        disconnect: () => (events.push(`disconnect ${id}`), Promise.resolve()),
      };
    },
  } as unknown as Pick<Kafka, "producer">;
  return { kafka, events, configs };
}

Deno.test("the pool gives each input partition one connected producer, under <prefix>-<topic>-<partition>", async () => {
  const { kafka, events, configs } = fakeKafka();
  const pool = producerPool(kafka, "inventory-sync");
  const [a, again, b] = await Promise.all([
    pool.get("orders", 0),
    pool.get("orders", 0),
    pool.get("orders", 1),
  ]);
  assert.equal(a, again, "one producer per partition");
  assert.notEqual(a, b);
  assert.deepEqual(events, ["connect inventory-sync-orders-0", "connect inventory-sync-orders-1"]);
  assert.deepEqual(
    configs.map((c) => [c.idempotent, c.maxInFlightRequests, c.transactionTimeout]),
    [[true, 1, 60_000], [true, 1, 60_000]],
  );
});

Deno.test("drop replaces a partition's producer; retain keeps only the owned ones; closeAll ends the rest", async () => {
  const { kafka, events } = fakeKafka();
  const pool = producerPool(kafka, "p");
  const first = await pool.get("t", 0);
  await pool.drop("t", 0);
  const second = await pool.get("t", 0);
  assert.notEqual(first, second, "a dropped producer is never handed out again");
  await pool.get("t", 1);
  await pool.get("t", 2);
  pool.retain(new Set([partitionId("t", 1)]));
  await new Promise((r) => setTimeout(r, 0));
  await pool.closeAll();
  assert.deepEqual(events, [
    "connect p-t-0",
    "disconnect p-t-0",
    "connect p-t-0",
    "connect p-t-1",
    "connect p-t-2",
    "disconnect p-t-0",
    "disconnect p-t-2",
    "disconnect p-t-1",
  ]);
});

Deno.test("a producer that cannot connect is forgotten, so the next get tries a new one", async () => {
  let attempts = 0;
  const kafka = {
    producer: () => ({
      connect: () => ++attempts === 1 ? Promise.reject(new Error("refused")) : Promise.resolve(),
      disconnect: () => Promise.resolve(),
    }),
  } as unknown as Pick<Kafka, "producer">;
  const pool = producerPool(kafka, "p");
  await assert.rejects(pool.get("t", 0), /refused/);
  await pool.get("t", 0);
  assert.equal(attempts, 2);
});

Deno.test("exclusive runs one partition's work after the last, even when the last failed; other partitions run alongside", async () => {
  const pool = producerPool(fakeKafka().kafka, "p");
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const first = pool.exclusive("t", 0, async () => {
    order.push("first starts");
    await gate;
    order.push("first ends");
    throw new Error("first failed");
  });
  const second = pool.exclusive("t", 0, () => (order.push("second"), Promise.resolve(2)));
  const other = pool.exclusive("t", 1, () => (order.push("other partition"), Promise.resolve(1)));
  await other;
  release();
  await assert.rejects(first, /first failed/);
  assert.equal(await second, 2);
  assert.deepEqual(order, ["first starts", "other partition", "first ends", "second"]);
});
