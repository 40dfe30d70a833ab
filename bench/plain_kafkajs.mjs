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
import { plainArgs, printResult } from "./plain_common.mjs";
import { Kafka, logLevel } from "kafkajs";

const { brokers, topic, records, recordSize, batchSize } = plainArgs();

const kafka = new Kafka({
  clientId: "bench-plain",
  brokers,
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
printResult({ records, recordSize, producerSeconds, consumerSeconds });
