import assert from "node:assert/strict";
import { createLogger } from "../platform/log.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import {
  carrierMetrics,
  type CarrierTotals,
  createCarrierBatchHandler,
  scheduledIn,
} from "./batches.ts";

/** A record of the batch; its commit notes its offset in `commits`. */
type Rec = { offset: number; value: Uint8Array; commit(): Promise<void> };

const record = (offset: number, value: unknown, commits: number[]): Rec => ({
  offset,
  value: new TextEncoder().encode(JSON.stringify(value)),
  commit: () => Promise.resolve(void commits.push(offset)),
});
const scheduled = (orderId: string, offset: number, commits: number[]) =>
  record(offset, {
    orderId,
    source: "delivery",
    status: "scheduled",
    detail: { carrier: "dhl" },
  }, commits);

function setUp(signal = new AbortController().signal) {
  const sent: { topic: string; keys: string[] }[] = [];
  const commits: number[] = [];
  const totals: CarrierTotals = { statusEvents: 0, deliveries: 0, updates: 0, failed: 0 };
  const metrics = new MetricsRegistry();
  const handler = createCarrierBatchHandler({
    codec: { encode: (v) => new TextEncoder().encode(JSON.stringify(v)) as Buffer },
    producer: {
      send: (options) => {
        const messages = options.messages ?? [];
        sent.push({ topic: messages[0]?.topic, keys: messages.map((m) => String(m.key)) });
        return Promise.resolve({});
      },
    },
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
  const c: number[] = [];
  const batch = [scheduled("o-1", 0, c), record(1, {}, c), scheduled("o-1", 2, c)];
  assert.deepEqual(scheduledIn([...batch, scheduled("o-2", 3, c)]), [
    { orderId: "o-1", carrier: "dhl" },
    { orderId: "o-2", carrier: "dhl" },
  ]);
});

Deno.test("a batch: three updates per delivery, then its offsets committed", async () => {
  const { handler, sent, commits, totals, metrics } = setUp();
  const records = [scheduled("o-1", 40, commits), record(41, {}, commits)];
  await handler(
    { partition: 3, records: [...records, scheduled("o-2", 42, commits)] },
    () => false,
  );
  assert.deepEqual(sent, [1, 2, 3].map(() => ({ topic: "delivery_events", keys: ["o-1", "o-2"] })));
  assert.deepEqual(commits, [42], "the last record's commit: past the whole batch");
  assert.deepEqual(totals, { statusEvents: 3, deliveries: 2, updates: 6, failed: 0 });
  assert.match(metrics.render(), /carrier_deliveries_total\{outcome="delivered"\} 2/);
});

Deno.test("a batch stopped by the signal sends nothing more and commits nothing", async () => {
  const stop = new AbortController();
  stop.abort();
  const { handler, sent, commits } = setUp(stop.signal);
  await handler({ partition: 0, records: [scheduled("o-1", 0, commits)] }, () => false);
  assert.deepEqual(sent, []);
  assert.deepEqual(commits, []);
});

Deno.test("a batch whose group moved on sends nothing more and commits nothing", async () => {
  const { handler, sent, commits } = setUp();
  await handler({ partition: 0, records: [scheduled("o-1", 0, commits)] }, () => true);
  assert.deepEqual(sent, []);
  assert.deepEqual(commits, []);
});
