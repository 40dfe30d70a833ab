/**
 * Correct read_committed filtering for kafkajs consumers.
 *
 * kafkajs 2.2.4 hides records of aborted transactions with a filter that
 * activates at most one aborted transaction per record it looks at. When a
 * fetch starts inside several overlapping aborted transactions (a fetch
 * boundary, a restart, a seek: routine after a producer was SIGKILLed and
 * its open transactions were aborted by the next one), the broker lists
 * them all but kafkajs only skips the first, and the others' records reach
 * the application as if they had been committed. Measured on Kafka 4.3.1:
 * three producers' aborted transactions read from the middle leaked two of
 * them; read in 200-byte fetches, five of twelve aborted records leaked.
 *
 * {@link abortedRecordOffsets} is the broker's rule done right (as the Java
 * consumer does it): every aborted transaction whose first offset is at or
 * before the end of the record batch being read is active from then on, and
 * stays active for its producer until that producer's ABORT marker.
 * {@link installReadCommittedFilter} applies it to every fetch response
 * before kafkajs sees it; install.ts installs it for createKafka, so every client of
 * ours reads committed data only.
 *
 * @example
 * ```ts
 * import { abortedRecordOffsets } from "./read_committed.ts";
 * const skip = abortedRecordOffsets(
 *   [{ offset: "5", batchContext: { firstOffset: "5", lastOffsetDelta: 0, producerId: "7", inTransaction: true } }],
 *   [{ producerId: "7", firstOffset: "5" }],
 * );
 * skip.has("5"); // true
 * ```
 * @module
 */
// kafkajs does not export its Broker class; this is the module kafkajs
// itself loads (one instance per process), imported as ESM so that it needs
// no read permission.
import KafkaBroker from "kafkajs/src/broker/index.js";

/** The parts of a decoded kafkajs record this filter reads. */
export interface FetchedRecord {
  offset: string;
  key?: Uint8Array | null;
  isControlRecord?: boolean;
  batchContext: {
    firstOffset: string;
    lastOffsetDelta: number;
    producerId: string;
    inTransaction: boolean;
    isControlBatch?: boolean;
  };
}

/** An entry of a fetch response's aborted transactions list. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** Control record key type 0 is ABORT, 1 is COMMIT (key: int16 version, int16 type). */
function isAbortMarker(record: FetchedRecord): boolean {
  const key = record.key;
  if (!key || key.length < 4) return false;
  return ((key[2] << 8) | key[3]) === 0;
}

/**
 * The offsets of the data records in `records` (one partition's fetch, in
 * offset order) that belong to aborted transactions.
 */
export function abortedRecordOffsets(
  records: readonly FetchedRecord[],
  aborted: readonly AbortedTransaction[],
): Set<string> {
  const skipped = new Set<string>();
  if (aborted.length === 0) return skipped;
  const pending = aborted
    .map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<string>();
  for (const record of records) {
    const batch = record.batchContext;
    const batchEnd = BigInt(batch.firstOffset) + BigInt(batch.lastOffsetDelta);
    while (pending.length > 0 && pending[0].firstOffset <= batchEnd) {
      abortedProducers.add(pending.shift()!.producerId);
    }
    if (record.isControlRecord || batch.isControlBatch) {
      if (isAbortMarker(record)) abortedProducers.delete(batch.producerId);
      continue;
    }
    if (batch.inTransaction && abortedProducers.has(batch.producerId)) skipped.add(record.offset);
  }
  return skipped;
}

interface FetchResponse {
  responses?: {
    partitions?: { abortedTransactions?: AbortedTransaction[]; messages?: FetchedRecord[] }[];
  }[];
}

/**
 * Hides aborted records in a decoded fetch response, in place. They are
 * flagged as control records rather than removed, so that kafkajs still
 * counts their offsets and moves past them (a fetch of nothing but aborted
 * records must advance the position, not be fetched again forever); the
 * aborted list is then emptied so kafkajs' own filter has nothing to do.
 */
export function hideAbortedRecords(response: FetchResponse): void {
  for (const topic of response.responses ?? []) {
    for (const partition of topic.partitions ?? []) {
      const aborted = partition.abortedTransactions ?? [];
      if (aborted.length === 0) continue;
      const messages = partition.messages ?? [];
      const skipped = abortedRecordOffsets(messages, aborted);
      for (const message of messages) {
        if (skipped.has(message.offset)) message.isControlRecord = true;
      }
      partition.abortedTransactions = [];
    }
  }
}

let installed = false;

/**
 * Routes every kafkajs fetch response through {@link hideAbortedRecords}.
 * Idempotent; kafkajs keeps one Broker class per process, so one call
 * covers every client.
 */
export function installReadCommittedFilter(): void {
  if (installed) return;
  const Broker = KafkaBroker as unknown as {
    prototype: { fetch: (...args: unknown[]) => Promise<FetchResponse> };
  };
  const original = Broker.prototype.fetch;
  if (typeof original !== "function") {
    throw new Error(
      "kafkajs changed: Broker.prototype.fetch is gone; review shared/kafka/patches/read_committed.ts",
    );
  }
  Broker.prototype.fetch = async function (this: unknown, ...args: unknown[]) {
    const response = await original.apply(this, args);
    hideAbortedRecords(response);
    return response;
  };
  installed = true;
}
