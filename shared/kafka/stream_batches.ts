/**
 * A consumer's stream read in batches: whatever the library has fetched
 * when the last batch is done is the next one, and nothing is read while a
 * batch is handled (the stream buffers, up to its high-water mark, and then
 * stops fetching). This is the shape of kafkajs' `eachBatch` for the
 * scripts that are not exactly-once (the carrier simulator, the order
 * status service): at least once, each batch's offsets committed by the
 * handler when its work is done.
 *
 * @example
 * ```ts
 * import { consumeBatches } from "./stream_batches.ts";
 * // const stream = await consumer.consume({ topics: ["order_status"], autocommit: false });
 * // await consumeBatches(stream, signal, async (records) => {
 * //   ... // the work
 * //   await records.at(-1)?.commit();
 * // });
 * ```
 * @module
 */
import type { Message, MessagesStream } from "@platformatic/kafka";
import type { Buffer } from "node:buffer";

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;
export type StreamRecord = Message<Buffer, Buffer, Buffer, Buffer>;

/** The records of one partition of a batch, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: StreamRecord[];
}

/** The records of a batch by partition, each in the order it came. Pure. */
export function byPartition(records: readonly StreamRecord[]): PartitionBatch[] {
  const out = new Map<string, PartitionBatch>();
  for (const r of records) {
    const key = `${r.topic}:${r.partition}`;
    let batch = out.get(key);
    if (!batch) out.set(key, batch = { topic: r.topic, partition: r.partition, records: [] });
    batch.records.push(r);
  }
  return [...out.values()];
}

/**
 * Hands `stream`'s records to `onBatch`, a batch at a time, until `signal`
 * aborts (resolves) or the stream fails (rejects with its error). A
 * rejection of `onBatch` rejects too.
 */
export async function consumeBatches(
  stream: Stream,
  signal: AbortSignal,
  onBatch: (records: StreamRecord[]) => Promise<void>,
): Promise<void> {
  let failed: unknown;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  const onError = (err: unknown) => {
    failed ??= err ?? new Error("the consumer's stream failed");
    poke();
  };
  // A 'readable' listener keeps the stream fetching (the library fetches
  // only for a stream someone reads) without flowing into a handler.
  stream.on("readable", poke);
  stream.on("error", onError);
  stream.on("close", poke);
  signal.addEventListener("abort", poke);
  try {
    while (!signal.aborted) {
      if (failed !== undefined) throw failed;
      const records: StreamRecord[] = [];
      for (let r = stream.read(); r !== null; r = stream.read()) records.push(r);
      if (records.length > 0) {
        await onBatch(records);
        continue;
      }
      if (stream.destroyed || stream.closed) {
        throw failed ?? new Error("the consumer's stream closed");
      }
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
  } finally {
    stream.removeListener("readable", poke);
    stream.removeListener("error", onError);
    stream.removeListener("close", poke);
    signal.removeEventListener("abort", poke);
  }
}
