import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { ConsumedMessage } from "../kafka/records.ts";
import type { AvroCodec } from "../kafka/avro_codec.ts";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { silentLogger } from "../platform/log.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import { DEFAULT_BACKOFF } from "../retry/backoff.ts";
import { createRetryStage } from "../retry/retry_stage.ts";
import { emptyRouterTotals, routeChunk, routerMetrics } from "./router_chunk_work.ts";
import { INVENTORY_ROUTE } from "./routing_spec.ts";

/** A codec that writes JSON, so the test reads back what was routed. */
const jsonCodec: AvroCodec = {
  subject: "inventory_orders-value",
  schemaId: 1,
  encode: (value) => Buffer.from(JSON.stringify(value)),
  decode: (bytes) => Promise.resolve(JSON.parse(new TextDecoder().decode(bytes))),
};

function context() {
  const registry = new MetricsRegistry();
  const retry = createRetryStage({
    sources: [{
      topic: "orders",
      retryBase: "orders-inventory",
      dlqTopic: "orders-dlq",
      replayTopic: "orders-inventory-retry-1",
    }],
    policy: DEFAULT_BACKOFF,
    stage: "inventory_orders_producer",
    log: silentLogger,
    metrics: registry,
  });
  return {
    registry,
    ctx: {
      route: INVENTORY_ROUTE,
      codec: jsonCodec,
      targetTopic: "inventory_orders",
      retry,
      metrics: routerMetrics(registry),
      totals: emptyRouterTotals(),
      catalog: DEFAULT_CATALOG,
      now: () => Date.parse("2026-12-02T00:00:00Z"),
    },
  };
}

const message = (offset: number, value: unknown): ConsumedMessage => ({
  offset: String(offset),
  key: null,
  value: Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
  headers: {},
  timestamp: "0",
});

/** A raw order of `type` with two lines. */
const rawOrder = (orderId: string, type: string) => ({
  orderId,
  type,
  customerId: "c-1",
  items: [{ sku: "SKU-1001", quantity: 2, unitPrice: 24.99 }, {
    sku: "SKU-1002",
    quantity: 1,
    unitPrice: 5,
  }],
  createdAt: "2026-12-01T00:00:00Z",
});

Deno.test("a chunk becomes its routed records, its skips and its dead letters", () => {
  const { ctx, registry } = context();
  const chunk = routeChunk(ctx, "orders", 0, [
    message(0, rawOrder("o-1", "inventory")),
    message(1, rawOrder("o-2", "delivery")),
    message(2, "{not json"),
  ]);
  // One record per line, keyed by SKU.
  assert.deepEqual(chunk.routed.map((m) => m.key), ["SKU-1001", "SKU-1002"]);
  assert.deepEqual(chunk.counts, { routedOrders: 1, skipped: 1, dead: 1, retried: 0, ignored: 0 });
  assert.deepEqual(chunk.failed.map((f) => f.topic), ["orders-dlq"]);
  assert.match(registry.render(), /router_skipped_total\{type="delivery"\} 1/);
  // Nothing is counted as routed before the transaction commits.
  assert.equal(ctx.totals.routedOrders, 0);
});

Deno.test("a registry outage while encoding is retried; a schema misfit is dead-lettered", () => {
  const { ctx } = context();
  const order = rawOrder("o-3", "inventory");
  const outage = routeChunk(
    {
      ...ctx,
      codec: {
        ...jsonCodec,
        encode: () => {
          throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        },
      },
    },
    "orders",
    0,
    [message(0, order)],
  );
  const misfit = routeChunk(
    {
      ...ctx,
      codec: {
        ...jsonCodec,
        encode: () => {
          throw new Error('invalid "sku": 1');
        },
      },
    },
    "orders",
    0,
    [message(0, order)],
  );
  assert.equal(misfit.counts.dead, 1);
  assert.deepEqual(misfit.failed.map((f) => f.topic), ["orders-dlq"]);
  assert.equal(outage.counts.retried, 1);
  assert.deepEqual(outage.failed.map((f) => f.topic), ["orders-inventory-retry-1"]);
});
