/**
 * Plain @platformatic/kafka, the other pure-JS client, measured exactly as
 * bench/plain_kafkajs.mjs measures kafkajs: a batched, idempotent producer
 * (acks=all) writes `--records` records of `--record-size` bytes to
 * `--topic` in `send()` calls of `--batch-size`, then a consumer in a fresh
 * group reads them all back from the beginning, timed from the first record
 * to the last. Prints the same one JSON line (both rates, the CPU seconds and
 * the peak RSS of this process), so the bench can tell whether kafkajs is the
 * limit or JavaScript is.
 *
 * The library asks for Node 22; under Node 20 it only lacks
 * `Promise.withResolvers`, which is supplied below before it is loaded.
 *
 * @example
 * ```sh
 * node bench/plain_platformatic.mjs --brokers 127.0.0.1:9092 --topic t --records 20000 --record-size 400
 * deno run --allow-all bench/plain_platformatic.mjs --brokers 127.0.0.1:9092 --topic t2 --records 20000
 * ```
 * @module
 */
import { plainArgs, printResult } from "./plain_common.mjs";

// Node 20 has no Promise.withResolvers (ES2024), which the library uses; the
// import is dynamic so that this runs first.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const { Consumer, MessagesStreamFallbackModes, MessagesStreamModes, ProduceAcks, Producer } =
  await import("@platformatic/kafka");

const { brokers, topic, records, recordSize, batchSize } = plainArgs();

// Without serializers keys and values are Buffers, sent as they are. As in
// kafkajs, the producer asks the broker to create a missing topic and gives
// up after 5 retries: an idempotent producer otherwise retries for ever, and a
// topic the broker will not create would hang the run instead of failing it.
const producer = new Producer({
  clientId: "bench-plain",
  bootstrapBrokers: brokers,
  idempotent: true,
  acks: ProduceAcks.ALL,
  autocreateTopics: true,
  retries: 5,
});
const value = Buffer.alloc(recordSize, 120);
const p0 = performance.now();
for (let sent = 0; sent < records; sent += batchSize) {
  const n = Math.min(batchSize, records - sent);
  await producer.send({
    messages: Array.from({ length: n }, (_, i) => ({
      topic,
      key: Buffer.from(String(sent + i)),
      value,
    })),
  });
}
const producerSeconds = (performance.now() - p0) / 1000;
await producer.close();

// Timed from the first record to the last: group joining is not reading.
// COMMITTED falling back to EARLIEST is kafkajs's `fromBeginning: true`.
const consumer = new Consumer({
  clientId: "bench-plain",
  bootstrapBrokers: brokers,
  groupId: `${topic}-reader`,
  maxWaitTime: 100,
  autocommit: true,
});
const stream = await consumer.consume({
  topics: [topic],
  mode: MessagesStreamModes.COMMITTED,
  fallbackMode: MessagesStreamFallbackModes.EARLIEST,
});
let seen = 0;
let first = 0;
let last = 0;
await new Promise((resolve, reject) => {
  stream.on("error", reject);
  stream.on("data", () => {
    if (!first) first = performance.now();
    if (++seen === records) {
      last = performance.now();
      resolve(undefined);
    }
  });
});
await stream.close();
await consumer.close();
const consumerSeconds = Math.max(last - first, 1) / 1000;
printResult({ records, recordSize, producerSeconds, consumerSeconds });
