/**
 * One of the processes of the store contract's concurrency test: opens the
 * store at URL (migrating it, at the same moment as its sibling), says
 * `ready`, waits for `go` on stdin, then applies batches of random
 * reservations and restocks on the shared SKUs to its own partition as fast
 * as it can, and prints what the store accepted as one JSON line.
 *
 *   deno run -A tests/store_concurrency_worker.ts URL WORKER_ID ORDERS SKU...
 * @module
 */
import { createLogger } from "../shared/platform/log.ts";
import { createRandom } from "../shared/orders/generate.ts";
import { openStore } from "../shared/store/open_store.ts";
import type { StockMovementEffect } from "../shared/store/store.ts";

/** What a worker reports. */
export interface WorkerTally {
  worker: number;
  applied: number;
  refused: number;
  duplicates: number;
  fenced: number;
  /** Units the store let this worker take, per SKU. */
  reserved: Record<string, number>;
  /** Units this worker added back, per SKU. */
  restocked: Record<string, number>;
  /** Epoch ms of its first and last batch, to see that the workers overlapped. */
  startedAt: number;
  finishedAt: number;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0].trim();
}

async function main(): Promise<void> {
  const [url, workerArg, ordersArg, ...skus] = Deno.args;
  const worker = Number(workerArg);
  const orders = Number(ordersArg);
  const log = createLogger({ name: `store-worker-${worker}`, level: "error" });
  // Both workers migrate the same fresh database at once: that must not break either.
  const store = await openStore({ url, log });
  console.log(JSON.stringify({ ready: worker }));
  if (await firstLine(Deno.stdin.readable) !== "go") throw new Error("expected `go` on stdin");

  // Seeded, so that a failing run can be repeated.
  const next = createRandom(1000 + worker);
  const tally: WorkerTally = {
    worker,
    applied: 0,
    refused: 0,
    duplicates: 0,
    fenced: 0,
    reserved: {},
    restocked: {},
    startedAt: Date.now(),
    finishedAt: 0,
  };
  const batchSize = 5;
  let offset = 0;
  for (let i = 0; i < orders; i += batchSize) {
    const movements: StockMovementEffect[] = [];
    for (let j = i; j < Math.min(orders, i + batchSize); j++) {
      movements.push({
        orderId: `w${worker}-o${j}`,
        lineIndex: 0,
        sku: skus[Math.floor(next() * skus.length)],
        quantity: 1 + Math.floor(next() * 4),
        movement: next() < 0.1 ? "RESTOCK" : "RESERVE",
      });
    }
    const position = {
      group: "inventory-sync",
      topic: "inventory_orders",
      partition: worker,
      firstOffset: offset,
      nextOffset: offset + movements.length,
    };
    const result = await store.applyInventoryBatch(position, movements);
    offset = position.nextOffset;
    tally.applied += result.applied;
    tally.duplicates += result.duplicates;
    tally.refused += result.refused.length;
    if (result.fenced) tally.fenced++;
    const refused = new Set(result.refused.map((r) => r.orderId));
    for (const m of movements) {
      if (refused.has(m.orderId)) continue;
      const into = m.movement === "RESERVE" ? tally.reserved : tally.restocked;
      into[m.sku] = (into[m.sku] ?? 0) + m.quantity;
    }
  }
  tally.finishedAt = Date.now();
  await store.close();
  console.log(JSON.stringify(tally));
}

if (import.meta.main) await main();
