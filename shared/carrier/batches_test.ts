import assert from "node:assert/strict";
import type { EachBatchPayload, KafkaMessage } from "kafkajs";
import { createLogger } from "../platform/log.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import {
  carrierMetrics,
  type CarrierTotals,
  createCarrierBatchHandler,
  scheduledIn,
} from "./batches.ts";

const scheduled = (orderId: string) =>
  ({
    offset: "0",
    value: new TextEncoder().encode(JSON.stringify({
      orderId,
      source: "delivery",
      status: "scheduled",
      detail: { carrier: "dhl" },
    })),
  }) as unknown as KafkaMessage;
const other = { offset: "1", value: new TextEncoder().encode("{}") } as unknown as KafkaMessage;

function payload(messages: KafkaMessage[], resolved: string[]): EachBatchPayload {
  return {
    batch: {
      topic: "order_status",
      partition: 3,
      messages,
      lastOffset: () => "41",
    },
    heartbeat: () => Promise.resolve(),
    isRunning: () => true,
    isStale: () => false,
    resolveOffset: (offset: string) => resolved.push(offset),
  } as unknown as EachBatchPayload;
}

function setUp(signal = new AbortController().signal) {
  const sent: { topic: string; keys: string[] }[] = [];
  const commits: unknown[] = [];
  const totals: CarrierTotals = { statusEvents: 0, deliveries: 0, updates: 0, failed: 0 };
  const metrics = new MetricsRegistry();
  const handler = createCarrierBatchHandler({
    codec: { encode: (v) => new TextEncoder().encode(JSON.stringify(v)) as Buffer },
    producer: {
      send: (record) => {
        sent.push({ topic: record.topic, keys: record.messages.map((m) => String(m.key)) });
        return Promise.resolve([]);
      },
    },
    consumer: { commitOffsets: (offsets) => Promise.resolve(void commits.push(...offsets)) },
    eventsTopic: "delivery_events",
    delayMs: 0,
    failureRate: 0,
    signal,
    log: createLogger({ name: "test", level: "error" }),
    metrics: carrierMetrics(metrics),
    totals,
  });
  return { handler, sent, commits, totals, metrics };
}

Deno.test("the scheduled deliveries of a batch, each order once", () => {
  assert.deepEqual(scheduledIn([scheduled("o-1"), other, scheduled("o-1"), scheduled("o-2")]), [
    { orderId: "o-1", carrier: "dhl" },
    { orderId: "o-2", carrier: "dhl" },
  ]);
});

Deno.test("a batch: three updates per delivery, then its offsets committed", async () => {
  const { handler, sent, commits, totals, metrics } = setUp();
  const resolved: string[] = [];
  await handler(payload([scheduled("o-1"), other, scheduled("o-2")], resolved));
  assert.deepEqual(sent, [1, 2, 3].map(() => ({ topic: "delivery_events", keys: ["o-1", "o-2"] })));
  assert.deepEqual(resolved, ["41"]);
  assert.deepEqual(commits, [{ topic: "order_status", partition: 3, offset: "42" }]);
  assert.deepEqual(totals, { statusEvents: 3, deliveries: 2, updates: 6, failed: 0 });
  assert.match(metrics.render(), /carrier_deliveries_total\{outcome="delivered"\} 2/);
});

Deno.test("a batch stopped by the signal sends nothing more and commits nothing", async () => {
  const stop = new AbortController();
  stop.abort();
  const { handler, sent, commits } = setUp(stop.signal);
  await handler(payload([scheduled("o-1")], []));
  assert.deepEqual(sent, []);
  assert.deepEqual(commits, []);
});
