/**
 * Kafka's read_committed rule over @platformatic/kafka's parsed fetch
 * response, as a pure function (./committed_fetch.ts applies it).
 *
 * A fetch response lists, per partition, the aborted transactions that
 * overlap the fetched range (`abortedTransactions`: producer id and first
 * offset). Kafka's Java consumer reads the batches in offset order and keeps
 * a set of aborted producers: before each batch it adds every listed
 * transaction whose first offset is at or before the batch's last offset;
 * an ABORT control batch of producer P removes P; a transactional data batch
 * of a producer in the set is skipped. So a transaction is skipped from its
 * first offset on even when its ABORT marker is beyond this fetch, each of a
 * producer's aborted transactions counts, and a committed transaction between
 * two aborted ones of the same producer is kept.
 *
 * Skipped batches are kept with no records rather than removed: the
 * library's stream moves its position past the last batch of a fetch, so a
 * fetch of nothing but aborted records must still end with a batch.
 *
 * @example
 * ```ts
 * import { IS_TRANSACTIONAL } from "@platformatic/kafka";
 * import { abortedBatches } from "./committed_fetch_filter.ts";
 * const batch = { firstOffset: 0n, lastOffsetDelta: 9, producerId: 7n, attributes: IS_TRANSACTIONAL, records: [] };
 * // The ABORT marker is in a later fetch: the batch is skipped all the same.
 * abortedBatches([batch], [{ producerId: 7n, firstOffset: 0n }]).has(batch); // true
 * ```
 * @module
 */
import { IS_CONTROL, IS_TRANSACTIONAL } from "@platformatic/kafka";
import type { KafkaRecord, RecordsBatch } from "@platformatic/kafka";

/** The parts of a parsed record batch the rule reads. */
export type FetchedBatch =
  & Pick<RecordsBatch, "firstOffset" | "lastOffsetDelta" | "producerId" | "attributes">
  & { records: readonly Pick<KafkaRecord, "key">[] };

/** An entry of a partition's `abortedTransactions`. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** The parts of a parsed fetch response partition the filter reads. */
export interface FetchedPartition {
  abortedTransactions: readonly AbortedTransaction[] | null;
  records?: readonly FetchedBatch[] | null;
}

/** A control record's key is int16 version, int16 type; type 0 is ABORT, 1 COMMIT. */
function isAbortMarker(batch: FetchedBatch): boolean {
  const key = batch.records[0]?.key;
  return (batch.attributes & IS_CONTROL) !== 0 && !!key && key.length >= 4 &&
    ((key[2] << 8) | key[3]) === 0;
}

/**
 * The batches of one partition's fetch (in offset order) that belong to
 * aborted transactions, by Kafka's rule (see the module doc). Pure.
 */
export function abortedBatches<B extends FetchedBatch>(
  batches: readonly B[],
  aborted: readonly AbortedTransaction[],
): Set<B> {
  const pending = [...aborted].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0
  );
  const abortedProducers = new Set<bigint>();
  const skipped = new Set<B>();
  let next = 0;
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (next < pending.length && pending[next].firstOffset <= lastOffset) {
      abortedProducers.add(pending[next++].producerId);
    }
    if (batch.attributes & IS_CONTROL) {
      if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
    } else if (batch.attributes & IS_TRANSACTIONAL && abortedProducers.has(batch.producerId)) {
      skipped.add(batch);
    }
  }
  return skipped;
}

/**
 * One partition read committed: its aborted batches emptied of records (kept
 * for their offsets), and its aborted list emptied, since it has been
 * applied (the library's own filter then finds nothing to do). Pure: the
 * partition is copied, not changed.
 */
export function committedPartition<P extends FetchedPartition>(partition: P): P {
  const aborted = partition.abortedTransactions ?? [];
  if (aborted.length === 0 || !partition.records) return partition;
  const skipped = abortedBatches(partition.records, aborted);
  return {
    ...partition,
    abortedTransactions: [],
    records: partition.records.map((batch) =>
      skipped.has(batch) ? { ...batch, records: [] } : batch
    ),
  };
}

/** A whole fetch response read committed, partition by partition. Pure. */
export function committedFetchResponse<
  R extends { responses: readonly { partitions: readonly FetchedPartition[] }[] },
>(response: R): R {
  return {
    ...response,
    responses: response.responses.map((topic) => ({
      ...topic,
      partitions: topic.partitions.map(committedPartition),
    })),
  };
}
