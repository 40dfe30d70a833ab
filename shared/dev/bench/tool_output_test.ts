import assert from "node:assert/strict";
import { parseConsumerPerf, parseProducerPerf } from "./tool_output.ts";

Deno.test("parseProducerPerf takes the final summary line", () => {
  const out = [
    "50000 records sent, 10000.0 records/sec (3.81 MB/sec), 80.0 ms avg latency, 200.0 ms max.",
    "200000 records sent, 61823.2 records/sec (23.58 MB/sec), 45.1 ms avg latency, 300.0 ms max " +
    "latency, 40 ms 50th, 90 ms 95th, 120 ms 99th, 150 ms 99.9th.",
  ].join("\n");
  assert.deepEqual(parseProducerPerf(out), { recordsPerSec: 61823.2, mbPerSec: 23.58 });
  assert.equal(parseProducerPerf("Exception in thread main"), undefined);
});

Deno.test("parseConsumerPerf reads the fetch figures by column name", () => {
  const out = [
    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, " +
    "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
    "2026-11-22 10:00:00:000, 2026-11-22 10:00:03:000, 76.2939, 25.4313, 200000, 66666.6667, " +
    "500, 2500, 30.5176, 80000.0000",
  ].join("\n");
  assert.deepEqual(parseConsumerPerf(out), {
    records: 200000,
    recordsPerSec: 80000,
    mbPerSec: 30.5176,
  });
  assert.equal(parseConsumerPerf("WARN something\n"), undefined);
});
