import assert from "node:assert/strict";
import type { OrderSink } from "./intake.ts";
import { createLogger } from "../platform/log.ts";
import { importOrders, readLines } from "./order_import.ts";
import type { RawOrder } from "../orders/model.ts";

function line(id: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    orderId: id,
    type: "inventory",
    customerId: "cust-7",
    items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 24.99 }],
    createdAt: "2024-06-18T12:00:00Z",
    ...overrides,
  });
}

function collector() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ name: "import", write: (l) => lines.push(JSON.parse(l)) });
  return { log, lines };
}

function sink(fail = false): OrderSink & { batches: RawOrder[][] } {
  const batches: RawOrder[][] = [];
  return {
    batches,
    send(orders) {
      if (fail) return Promise.reject(new Error("Kafka is not connected"));
      batches.push([...orders]);
      return Promise.resolve();
    },
  };
}

function stream(...chunks: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => new TextEncoder().encode(c)));
}

Deno.test("readLines splits on \\n and \\r\\n, across chunks, with a last line without one", async () => {
  const got = await Array.fromAsync(readLines(stream("a\r\nb", "b\n\nc€", "\nlast")));
  assert.deepEqual(got, ["a", "bb", "", "c€", "last"]);
  assert.deepEqual(await Array.fromAsync(readLines(stream(""))), []);
  assert.deepEqual(await Array.fromAsync(readLines(stream("x\n"))), ["x"]);
});

Deno.test("valid lines are sent in batches; bad ones are logged with line and problems", async () => {
  const { log, lines } = collector();
  const out = sink();
  const stats = await importOrders({
    lines: [
      line("a"),
      "",
      "{oops",
      line("b", { items: [{ sku: "SKU-1", quantity: 0, unitPrice: 1 }] }),
      "   ",
      line("c"),
      line("d"),
    ],
    sink: out,
    log,
    batchSize: 2,
  });
  assert.deepEqual(out.batches.map((b) => b.map((o) => o.orderId)), [["a", "c"], ["d"]]);
  assert.deepEqual(stats, {
    lines: 7,
    blank: 2,
    valid: 3,
    rejected: 2,
    sent: 3,
    failed: 0,
    dryRun: false,
    interrupted: false,
  });
  const rejected = lines.filter((l) => l.msg === "line rejected");
  assert.deepEqual(rejected.map((l) => l.line), [3, 4]);
  assert.match(String(rejected[0].reason), /malformed JSON/);
  assert.match(String(rejected[1].reason), /items\[0\]\.quantity: must be a positive whole number/);
  assert.equal(rejected[1].level, "warn");
});

Deno.test("a dry run validates only", async () => {
  const { log } = collector();
  const stats = await importOrders({ lines: [line("a"), "[]"], log });
  assert.equal(stats.dryRun, true);
  assert.equal(stats.valid, 1);
  assert.equal(stats.rejected, 1);
  assert.equal(stats.sent, 0);
});

Deno.test("a failed send stops the import and is reported", async () => {
  const { log } = collector();
  const stats = await importOrders({
    lines: [line("a"), line("b"), line("c")],
    sink: sink(true),
    log,
    batchSize: 1,
    maxInFlight: 1,
  });
  assert.match(stats.error!.message, /not connected/);
  assert.equal(stats.sent, 0);
  assert.equal(stats.failed, 1, "it stopped at the first failure");
});

Deno.test("the signal stops reading; what was read is still sent", async () => {
  const { log } = collector();
  const out = sink();
  const controller = new AbortController();
  function* lines() {
    yield line("a");
    yield line("b");
    controller.abort();
    yield line("c");
  }
  const stats = await importOrders({ lines: lines(), sink: out, log, signal: controller.signal });
  assert.equal(stats.interrupted, true);
  assert.deepEqual(out.batches.flat().map((o) => o.orderId), ["a", "b"]);
});
