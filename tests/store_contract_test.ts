/**
 * One contract for every store backend, run against SQLite (a temp file)
 * and PostgreSQL (a throwaway local server started once for this file, or
 * TEST_DATABASE_URL / DATABASE_URL when set). Every case gets a database of
 * its own, so cases never see each other's rows. No Kafka involved:
 *
 *   deno test -A shared/store tests/store_contract_test.ts
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
// @ts-types="@types/pg"
import pg from "pg";
// @ts-ignore: this project's @types/node (v18, via testcontainers) predates node:sqlite
import { DatabaseSync } from "node:sqlite";
import { createLogger, type Logger } from "../shared/platform/log.ts";
import { createDatabase, dropDatabase, startLocalPostgres } from "../shared/dev/local_postgres.ts";
import { openStore, type OpenStoreOptions } from "../shared/store/open_store.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../shared/store/migrations.ts";
import {
  type BatchPosition,
  type DeliveryStatus,
  type DeliveryTransition,
  type Store,
  StoreBusyError,
} from "../shared/store/store.ts";
import type { WorkerTally } from "./store_concurrency_worker.ts";

/** A backend under test: how to get the URL of a fresh, empty database. */
interface BackendUnderTest {
  name: "sqlite" | "postgres";
  freshUrl(): Promise<string>;
}

function quietLogger(): Logger {
  const level = (Deno.env.get("TEST_LOG_LEVEL") ?? "error") as "debug" | "error";
  return createLogger({ name: "store-test", level });
}

/** A logger that keeps its lines, to see which paths were taken. */
function collectingLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    log: createLogger({ name: "store-test", level: "debug", write: (l) => lines.push(l) }),
    lines: () => lines.map((l) => JSON.parse(l)),
  };
}

function open(url: string, options: Partial<OpenStoreOptions> = {}): Promise<Store> {
  return openStore({ url, log: quietLogger(), ...options });
}

let offsetCounter = 0;
/** A position on partition 0 that starts where the last one ended (for tests that do not care). */
function pos(count: number, partition = 0): BatchPosition {
  const firstOffset = offsetCounter;
  offsetCounter += count;
  return {
    group: "g",
    topic: "inventory_orders",
    partition,
    firstOffset,
    nextOffset: offsetCounter,
  };
}

const reserve = (orderId: string, sku: string, quantity: number, lineIndex = 0) =>
  ({ orderId, lineIndex, sku, quantity, movement: "RESERVE" }) as const;
const restock = (orderId: string, sku: string, quantity: number, lineIndex = 0) =>
  ({ orderId, lineIndex, sku, quantity, movement: "RESTOCK" }) as const;
const release = (orderId: string, sku: string, quantity: number, lineIndex = 0) =>
  ({ orderId, lineIndex, sku, quantity, movement: "RELEASE" }) as const;

/** Opens a store on a fresh database, runs `fn`, closes it. */
async function withStore(
  backend: BackendUnderTest,
  fn: (store: Store, url: string) => Promise<void>,
): Promise<void> {
  const url = await backend.freshUrl();
  const store = await open(url);
  offsetCounter = 0;
  try {
    await fn(store, url);
  } finally {
    await store.close();
  }
}

/** As {@linkcode withStore}, with `other`, a second connection to the same database. */
async function withTwoStores(
  backend: BackendUnderTest,
  fn: (store: Store, other: Store) => Promise<void>,
): Promise<void> {
  await withStore(backend, async (store, url) => {
    const other = await open(url, { migrate: false });
    try {
      await fn(store, other);
    } finally {
      await other.close();
    }
  });
}

/** Reads a child's stdout line by line. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string | undefined> {
  const lines = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return async () => {
    while (!buffer.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) {
        const rest = buffer;
        buffer = "";
        return rest === "" ? undefined : rest;
      }
      buffer += value;
    }
    const at = buffer.indexOf("\n");
    const line = buffer.slice(0, at);
    buffer = buffer.slice(at + 1);
    return line;
  };
}

/** Runs two worker processes against one fresh database; returns their tallies. */
async function runWorkers(
  url: string,
  orders: number,
  skus: string[],
  seed: (store: Store) => Promise<void>,
): Promise<WorkerTally[]> {
  const workerFile = new URL("./store_concurrency_worker.ts", import.meta.url).pathname;
  const children = [0, 1].map((worker) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", workerFile, url, String(worker), String(orders), ...skus],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  const stderr = children.map((c) => new Response(c.stderr).text());
  const readLine = children.map((c) => lineReader(c.stdout));
  const failure = async (i: number) =>
    `worker ${i} failed (${(await children[i].status).code}): ${await stderr[i]}`;
  try {
    // Wait for both to have opened (and migrated) the store, then seed and start them together.
    for (let i = 0; i < children.length; i++) {
      const line = await readLine[i]();
      assert.ok(line?.includes('"ready"'), line ?? await failure(i));
    }
    const store = await open(url, { migrate: false });
    try {
      await seed(store);
    } finally {
      await store.close();
    }
    for (const child of children) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
    }
    return await Promise.all(children.map(async (child, i) => {
      const line = await readLine[i]();
      assert.ok((await child.status).success && line, await failure(i));
      return JSON.parse(line) as WorkerTally;
    }));
  } finally {
    for (const child of children) {
      try {
        child.kill();
      } catch { /* exited */ }
    }
    await Promise.allSettled([...children.map((c) => c.status), ...stderr]);
  }
}

/** The contract every backend keeps, as steps of one test. */
async function storeContract(t: Deno.TestContext, backend: BackendUnderTest): Promise<void> {
  await t.step("migrate runs once, also when two connections migrate at once", async () => {
    const url = await backend.freshUrl();
    const a = await open(url, { migrate: false });
    const b = await open(url, { migrate: false });
    try {
      const results = await Promise.all([a.migrate(), b.migrate()]);
      const every = MIGRATIONS.map((m) => m.version);
      assert.deepEqual(results.map((r) => r.applied).sort(), [[], every]);
      assert.deepEqual(await a.migrate(), { applied: [], version: SCHEMA_VERSION });
      assert.deepEqual(await b.allStock(), new Map());
    } finally {
      await a.close();
      await b.close();
    }
  });

  await t.step("offsets round trip and never move back", () =>
    withStore(backend, async (store) => {
      const at = (partition: number, firstOffset: number, nextOffset: number) => ({
        group: "inventory-sync",
        topic: "inventory_orders",
        partition,
        firstOffset,
        nextOffset,
      });
      assert.deepEqual(
        await store.committedOffsets("inventory-sync", "inventory_orders"),
        new Map(),
      );
      let r = await store.applyInventoryBatch(at(0, 0, 10), []);
      assert.deepEqual([r.fenced, r.previousOffset, r.committedOffset], [false, undefined, 10]);
      await store.applyInventoryBatch(at(1, 5, 7), []);
      assert.deepEqual(
        await store.committedOffsets("inventory-sync", "inventory_orders"),
        new Map([[0, 10], [1, 7]]),
      );
      assert.deepEqual(await store.committedOffsets("other-group", "inventory_orders"), new Map());

      // A zombie replaying an older batch is fenced: nothing applied, the offset stays.
      await store.setStock("SKU-1", 5);
      r = await store.applyInventoryBatch(at(0, 3, 8), [reserve("zombie", "SKU-1", 1)]);
      assert.deepEqual(
        [r.fenced, r.applied, r.previousOffset, r.committedOffset],
        [true, 0, 10, 10],
      );
      assert.equal(await store.stock("SKU-1"), 5);
      assert.deepEqual(await store.orderHistory("zombie"), []);

      // An empty batch at the committed offset is fine; a gap moves it forward and says so.
      r = await store.applyInventoryBatch(at(0, 10, 10), []);
      assert.deepEqual([r.fenced, r.committedOffset], [false, 10]);
      r = await store.applyInventoryBatch(at(0, 15, 20), []);
      assert.deepEqual([r.fenced, r.previousOffset, r.committedOffset], [false, 10, 20]);
      assert.equal(
        (await store.committedOffsets("inventory-sync", "inventory_orders")).get(0),
        20,
      );
      await assert.rejects(store.applyInventoryBatch(at(0, 20, 19), []), RangeError);
    }));

  await t.step(
    "a movement is applied once, even when its record comes again",
    () =>
      withStore(backend, async (store) => {
        await store.setStock("A", 10);
        const batch = [reserve("o1", "A", 3), restock("o2", "A", 1), reserve("o1", "A", 3)];
        let r = await store.applyInventoryBatch(pos(3), batch);
        assert.deepEqual([r.applied, r.duplicates, r.refused], [2, 1, []]);
        assert.equal(await store.stock("A"), 8);
        // Redelivered after a crash, at other offsets: every line is a duplicate.
        r = await store.applyInventoryBatch(pos(3), batch);
        assert.deepEqual([r.fenced, r.applied, r.duplicates], [false, 0, 3]);
        assert.equal(await store.stock("A"), 8);
        // A refused line stays refused, even once stock would cover it.
        r = await store.applyInventoryBatch(pos(1), [reserve("big", "A", 50)]);
        assert.equal(r.refused.length, 1);
        await store.applyInventoryBatch(pos(1), [restock("truck", "A", 100)]);
        r = await store.applyInventoryBatch(pos(1), [reserve("big", "A", 50)]);
        assert.deepEqual([r.applied, r.duplicates, r.refused], [0, 1, []]);
        assert.equal(await store.stock("A"), 108);
      }),
  );

  await t.step(
    "a reservation the stock cannot cover is refused and takes nothing",
    () =>
      withStore(backend, async (store) => {
        await store.setStock("A", 2);
        const r = await store.applyInventoryBatch(pos(3), [
          reserve("o1", "A", 3, 0),
          reserve("o1", "NEW", 1, 1),
          reserve("o1", "A", 2, 2),
        ]);
        assert.equal(r.applied, 1);
        assert.deepEqual(r.refused, [
          { orderId: "o1", lineIndex: 0, sku: "A", requested: 3, available: 2 },
          { orderId: "o1", lineIndex: 1, sku: "NEW", requested: 1, available: 0 },
        ]);
        assert.deepEqual(await store.allStock(), new Map([["A", 0], ["NEW", 0]]));
        const history = await store.orderHistory("o1");
        assert.deepEqual(
          history.map((l) => [l.lineIndex, l.sku, l.outcome, l.available]),
          [[0, "A", "refused", 2], [1, "NEW", "refused", 0], [2, "A", "applied", undefined]],
        );
        await assert.rejects(
          store.applyInventoryBatch(pos(1), [reserve("neg", "A", -1)]),
          RangeError,
        );
        await assert.rejects(store.setStock("A", -1), RangeError);
      }),
  );

  await t.step(
    "restock and release add back; a SKU first seen starts at zero",
    () =>
      withStore(backend, async (store) => {
        assert.equal(await store.stock("B"), undefined);
        const r = await store.applyInventoryBatch(pos(3), [
          restock("r1", "B", 5),
          reserve("o1", "B", 4),
          release("o1-cancel", "B", 4),
        ]);
        assert.deepEqual([r.applied, r.refused], [3, []]);
        assert.equal(await store.stock("B"), 5);
        // What each change left, numbered per SKU, as the inventory topic carries it.
        assert.deepEqual(
          r.changes.map((c) => [c.orderId, c.movement, c.onHandAfter, c.sequence]),
          [["r1", "RESTOCK", 5, 1], ["o1", "RESERVE", 1, 2], ["o1-cancel", "RELEASE", 5, 3]],
        );
        const [line] = await store.orderHistory("o1");
        assert.deepEqual(line.applied, { onHandAfter: 1, sequence: 2 });
        const next = await store.applyInventoryBatch(pos(1), [reserve("o2", "B", 2)]);
        assert.deepEqual(next.changes.map((c) => [c.onHandAfter, c.sequence]), [[3, 4]]);
        await store.setStock("C", 7);
        assert.deepEqual(await store.allStock(), new Map([["B", 3], ["C", 7]]));
      }),
  );

  await t.step(
    "two instances applying one batch at once: one applies it, one is fenced",
    () =>
      withTwoStores(backend, async (store, other) => {
        await store.setStock("A", 100);
        for (const first of [0, 4]) {
          const position = { ...pos(0), firstOffset: first, nextOffset: first + 4 };
          const batch = [0, 1, 2, 3].map((i) => reserve(`o${first + i}`, "A", 1));
          const results = await Promise.all([
            store.applyInventoryBatch(position, batch),
            other.applyInventoryBatch(position, batch),
          ]);
          assert.deepEqual(results.map((r) => r.fenced).sort(), [false, true]);
          assert.equal(results.reduce((n, r) => n + r.applied, 0), 4);
        }
        assert.equal(await store.stock("A"), 92);
      }),
  );

  await t.step(
    "two connections reserving the same SKUs at once never oversell",
    () =>
      withTwoStores(backend, async (store, other) => {
        await store.setStock("A", 30);
        await store.setStock("B", 30);
        const run = async (s: Store, partition: number) => {
          let taken = 0;
          for (let i = 0; i < 20; i++) {
            const batch = [reserve(`p${partition}-${i}`, i % 2 ? "A" : "B", 2, 0)];
            const position = { ...pos(0), partition, firstOffset: i, nextOffset: i + 1 };
            const r = await s.applyInventoryBatch(position, batch);
            taken += r.applied * 2;
          }
          return taken;
        };
        const taken = await Promise.all([run(store, 0), run(other, 1)]);
        // 80 units asked for, 60 there: exactly 60 taken, none below zero.
        assert.equal(taken[0] + taken[1], 60);
        assert.deepEqual(await store.allStock(), new Map([["A", 0], ["B", 0]]));
      }),
  );

  await t.step(
    "two processes: interleaved reservations never oversell, totals add up",
    async () => {
      const url = await backend.freshUrl();
      const skus = ["S0", "S1", "S2", "S3"];
      const initial = 200;
      const orders = 300;
      const tallies = await runWorkers(url, orders, skus, async (store) => {
        for (const sku of skus) await store.setStock(sku, initial);
      });
      const store = await open(url, { migrate: false });
      try {
        const stock = await store.allStock();
        for (const sku of skus) {
          const reserved = tallies.reduce((n, t) => n + (t.reserved[sku] ?? 0), 0);
          const restocked = tallies.reduce((n, t) => n + (t.restocked[sku] ?? 0), 0);
          assert.ok(stock.get(sku)! >= 0, `${sku} went negative`);
          assert.equal(stock.get(sku), initial - reserved + restocked, `${sku} does not add up`);
        }
        for (const t of tallies) {
          assert.equal(t.applied + t.refused, orders);
          assert.deepEqual([t.duplicates, t.fenced], [0, 0]);
        }
        // Demand is well above supply: the guard was hit (which worker got refused is a race).
        assert.ok(tallies[0].refused + tallies[1].refused > 0, JSON.stringify(tallies));
        // They ran at the same time, not one after the other.
        assert.ok(
          Math.max(...tallies.map((t) => t.startedAt)) <
            Math.min(...tallies.map((t) => t.finishedAt)),
          "the workers did not overlap",
        );
        // What the workers were told matches what the store recorded, line by line.
        let recordedApplied = 0;
        for (const t of tallies) {
          for (let i = 0; i < orders; i++) {
            const [line] = await store.orderHistory(`w${t.worker}-o${i}`);
            if (line.outcome === "applied") recordedApplied++;
          }
        }
        assert.equal(recordedApplied, tallies[0].applied + tallies[1].applied);
        const offsets = await store.committedOffsets("inventory-sync", "inventory_orders");
        assert.deepEqual(offsets, new Map([[0, orders], [1, orders]]));
      } finally {
        await store.close();
      }
    },
  );

  await t.step(
    "deliveries follow the lifecycle; illegal steps are refused with a reason",
    () =>
      withStore(backend, async (store) => {
        const ev = (
          eventId: string,
          orderId: string,
          status: DeliveryStatus,
          at: number,
          reason?: string,
        ): DeliveryTransition => ({ eventId, orderId, status, at, ...(reason ? { reason } : {}) });
        const batch = [
          ev("e1", "d1", "scheduled", 1),
          ev("e2", "d1", "dispatched", 2),
          ev("e3", "d1", "in_transit", 3),
          ev("e4", "d1", "delivered", 4),
          ev("e5", "d1", "dispatched", 5),
          ev("e6", "d2", "dispatched", 6),
          ev("e7", "d3", "scheduled", 7),
          ev("e8", "d3", "failed", 8, "address not found"),
          ev("e2", "d1", "dispatched", 2),
        ];
        let r = await store.applyDeliveryBatch(pos(batch.length), batch);
        assert.deepEqual(
          r.applied.map((c) => `${c.orderId}:${c.from ?? "-"}>${c.to}`),
          [
            "d1:->scheduled",
            "d1:scheduled>dispatched",
            "d1:dispatched>in_transit",
            "d1:in_transit>delivered",
            "d3:->scheduled",
            "d3:scheduled>failed",
          ],
        );
        assert.deepEqual(r.refused, [
          {
            eventId: "e5",
            orderId: "d1",
            from: "delivered",
            requested: "dispatched",
            reason: "cannot go from delivered to dispatched",
          },
          {
            eventId: "e6",
            orderId: "d2",
            from: undefined,
            requested: "dispatched",
            reason: "a delivery must be scheduled first, not dispatched",
          },
        ]);
        assert.equal(r.duplicates, 1);

        // The whole batch again, as after a crash: every event, refused ones too, is a duplicate.
        r = await store.applyDeliveryBatch(pos(batch.length), batch);
        assert.deepEqual([r.applied, r.refused, r.duplicates], [[], [], batch.length]);

        const d1 = await store.delivery("d1");
        assert.equal(d1?.status, "delivered");
        assert.equal(d1?.updatedAt, 4);
        assert.deepEqual(
          d1?.history.map((h) => [h.eventId, h.from, h.to, h.outcome]),
          [
            ["e1", undefined, "scheduled", "applied"],
            ["e2", "scheduled", "dispatched", "applied"],
            ["e3", "dispatched", "in_transit", "applied"],
            ["e4", "in_transit", "delivered", "applied"],
            ["e5", "delivered", "dispatched", "refused"],
          ],
        );
        assert.equal(d1?.history[4].reason, "cannot go from delivered to dispatched");
        const d2 = await store.delivery("d2");
        assert.deepEqual([d2?.status, d2?.history.length], [undefined, 1]);
        const d3 = await store.delivery("d3");
        assert.deepEqual([d3?.status, d3?.history[1].reason], ["failed", "address not found"]);
        assert.equal(await store.delivery("nobody"), undefined);
        await assert.rejects(
          store.applyDeliveryBatch(pos(1), [{ ...batch[0], status: "lost" as DeliveryStatus }]),
          RangeError,
        );
      }),
  );

  await t.step(
    "notification recipients: first record wins; the ledger keeps the first acceptance",
    () =>
      withStore(backend, async (store) => {
        await store.rememberRecipients([
          { orderId: "n1", email: "ada@example.com" },
          { orderId: "n2", email: null },
        ]);
        await store.rememberRecipients([{ orderId: "n1", email: "other@example.com" }]);
        assert.deepEqual(await store.recipientOf("n1"), { email: "ada@example.com" });
        assert.deepEqual(await store.recipientOf("n2"), { email: null });
        assert.equal(await store.recipientOf("n3"), undefined);

        const sent = {
          eventId: "inventory:n1:0",
          orderId: "n1",
          recipient: "ada@example.com",
          messageId: "m1@notifier",
          sentAt: 5,
        };
        assert.equal(await store.sentNotification(sent.eventId), undefined);
        await store.recordSentNotification(sent);
        await store.recordSentNotification({ ...sent, messageId: "m2@notifier", sentAt: 6 });
        assert.deepEqual(await store.sentNotification(sent.eventId), sent);
      }),
  );
}

// ---- SQLite ---------------------------------------------------------------

const sqliteDir = await Deno.makeTempDir({ prefix: "store-contract-" });
let sqliteCount = 0;
const sqlite: BackendUnderTest = {
  name: "sqlite",
  freshUrl: () => Promise.resolve(`sqlite:${join(sqliteDir, `store-${++sqliteCount}.db`)}`),
};

Deno.test("store contract: sqlite", async (t) => {
  try {
    await storeContract(t, sqlite);
  } finally {
    await Deno.remove(sqliteDir, { recursive: true }).catch(() => {});
  }
});

/** Holds SQLite's write lock from another connection, as another process would. */
function holdWriteLock(url: string): { release(): void } {
  const db = new DatabaseSync(url.slice("sqlite:".length));
  db.exec("BEGIN IMMEDIATE");
  let held = true;
  return {
    release() {
      if (held) db.exec("ROLLBACK");
      held = false;
      db.close();
    },
  };
}

Deno.test("sqlite: a write lock held elsewhere is waited out, then reported as busy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "store-busy-" });
  const url = `sqlite:${join(dir, "busy.db")}`;
  const { log, lines } = collectingLogger();
  const store = await openStore({
    url,
    log,
    busyTimeoutMs: 20,
    retry: { attempts: 30, baseDelayMs: 10, maxDelayMs: 50 },
  });
  try {
    await store.setStock("A", 5);
    const position = { group: "g", topic: "t", partition: 0, firstOffset: 0, nextOffset: 1 };
    // Released while the store is backing off: the batch goes through.
    let lock = holdWriteLock(url);
    const timer = setTimeout(() => lock.release(), 300);
    const r = await store.applyInventoryBatch(position, [reserve("o1", "A", 2)]);
    clearTimeout(timer);
    assert.equal(r.applied, 1);
    assert.equal(await store.stock("A"), 3);
    assert.ok(lines().some((l) => l.msg === "database conflict, retrying the transaction"));

    // Never released in time: a clear StoreBusyError, and nothing applied.
    const impatient = await openStore({
      url,
      log,
      busyTimeoutMs: 20,
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 },
    });
    lock = holdWriteLock(url);
    try {
      const next = { ...position, firstOffset: 1, nextOffset: 2 };
      await assert.rejects(
        impatient.applyInventoryBatch(next, [reserve("o2", "A", 1)]),
        (err: Error) => err instanceof StoreBusyError && /3 attempts.*locked/.test(err.message),
      );
    } finally {
      lock.release();
      await impatient.close();
    }
    assert.equal(await store.stock("A"), 3);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- PostgreSQL -----------------------------------------------------------

Deno.test("store contract: postgres", async (t) => {
  const external = Deno.env.get("TEST_DATABASE_URL") ?? Deno.env.get("DATABASE_URL");
  const server = external ? undefined : await startLocalPostgres({ log: quietLogger() });
  const adminUrl = external ?? server!.url;
  const created: string[] = [];
  const postgres: BackendUnderTest = {
    name: "postgres",
    freshUrl: () => {
      const name = `store_test_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
      created.push(name);
      return createDatabase(adminUrl, name);
    },
  };
  try {
    await storeContract(t, postgres);

    await t.step("a deadlock is retried and the batch applied once", async () => {
      const { log, lines } = collectingLogger();
      const url = await postgres.freshUrl();
      const store = await open(url, { log });
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      try {
        await store.setStock("A", 10);
        await store.setStock("B", 10);
        // The blocker holds B; the batch takes A, then waits for B; the blocker then wants A.
        await blocker.query("BEGIN");
        await blocker.query("UPDATE stock SET on_hand = on_hand WHERE sku = 'B'");
        const batch = store.applyInventoryBatch(
          { group: "g", topic: "t", partition: 0, firstOffset: 0, nextOffset: 2 },
          [reserve("o1", "A", 1), reserve("o2", "B", 1)],
        );
        await new Promise((r) => setTimeout(r, 300));
        await blocker.query("UPDATE stock SET on_hand = on_hand WHERE sku = 'A'")
          .catch(() => {}); // whichever side PostgreSQL picks as the victim
        await blocker.query("COMMIT").catch(() => {});
        const r = await batch;
        assert.deepEqual([r.applied, r.refused], [2, []]);
        assert.deepEqual(await store.allStock(), new Map([["A", 9], ["B", 9]]));
        assert.ok(
          lines().some((l) => /deadlock/.test(String(l.error))),
          "the deadlock should have been retried",
        );
      } finally {
        await blocker.end();
        await store.close();
      }
    });

    await t.step("an unreachable server is a one-sentence error naming DATABASE_URL", async () => {
      await assert.rejects(
        openStore({ url: "postgres://postgres@127.0.0.1:1/nowhere", log: quietLogger() }),
        (err: Error) =>
          /^cannot connect to PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED.*check DATABASE_URL/
            .test(err.message),
      );
    });
  } finally {
    if (external) {
      for (const name of created) await dropDatabase(adminUrl, name).catch(() => {});
    }
    await server?.stop();
  }
});
