/**
 * Plain kafkajs, the same file under Node and under Deno: a batched,
 * idempotent producer (acks=all) writes `--records` records of
 * `--record-size` bytes to `--topic`, then a consumer in a fresh group reads
 * them all back. Prints one JSON line with both rates, the CPU seconds and
 * the peak RSS of this process. `deno task bench` runs it twice, once per
 * runtime, so the difference is the runtime's, not the code's.
 *
 * @example
 * ```sh
 * node bench/plain_kafkajs.mjs --brokers 127.0.0.1:9092 --topic t --records 20000 --record-size 400
 * deno run --allow-all bench/plain_kafkajs.mjs --brokers 127.0.0.1:9092 --topic t2 --records 20000
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";

const { values } = parseArgs({
  options: {
    brokers: { type: "string", default: "127.0.0.1:9092" },
    topic: { type: "string" },
    records: { type: "string", default: "20000" },
    "record-size": { type: "string", default: "400" },
    "batch-size": { type: "string", default: "1000" },
  },
});
if (!values.topic) {
  console.error("--topic is required");
  process.exit(2);
}
const topic = values.topic;
const records = Number(values.records);
const recordSize = Number(values["record-size"]);
const batchSize = Number(values["batch-size"]);

/** Peak resident set size of this process in MB, from /proc (Linux). */
function peakRssMb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : undefined;
}

const kafka = new Kafka({
  clientId: "bench-plain",
  brokers: values.brokers.split(","),
  logLevel: logLevel.ERROR,
});

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
await producer.connect();
const value = Buffer.alloc(recordSize, 120);
const p0 = performance.now();
for (let sent = 0; sent < records; sent += batchSize) {
  const n = Math.min(batchSize, records - sent);
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: n }, (_, i) => ({ key: String(sent + i), value })),
  });
}
const producerSeconds = (performance.now() - p0) / 1000;
await producer.disconnect();

// Timed from the first record to the last: group joining is not reading.
const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let seen = 0;
let first = 0;
let last = 0;
const done = new Promise((resolve) => {
  consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: ({ batch }) => {
      if (!first) first = performance.now();
      seen += batch.messages.length;
      if (seen >= records) {
        last = performance.now();
        resolve(undefined);
      }
      return Promise.resolve();
    },
  });
});
await done;
await consumer.disconnect();
const consumerSeconds = Math.max(last - first, 1) / 1000;
const cpu = process.cpuUsage();
console.log(JSON.stringify({
  runtime: typeof Deno === "undefined" ? `node ${process.version}` : `deno ${Deno.version.deno}`,
  records,
  recordSize,
  producer: { seconds: producerSeconds, recordsPerSec: records / producerSeconds },
  consumer: { seconds: consumerSeconds, recordsPerSec: records / consumerSeconds },
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMb: peakRssMb(),
}));
process.exit(0);
