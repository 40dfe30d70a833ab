/**
 * One transactional producer per input partition, for consume-transform-
 * produce loops (the routing producers and the data consumers).
 *
 * Each producer's transactional id is `<prefix>-<topic>-<partition>`, the
 * same whoever owns the partition, so the next owner's `connect()` (which
 * initialises the id) aborts the previous owner's open transaction and
 * fences it off. (kafkajs cannot send the consumer group generation with
 * offsets, so KIP-447's one producer per instance would not be safe.)
 *
 * @example
 * ```ts
 * // const pool = transactionalProducers(kafka, "inventory-sync");
 * // const producer = await pool.get("inventory_orders", 3);
 * // pool.retain(new Set(["inventory_orders-3"])); // after a rebalance
 * // await pool.closeAll();
 * ```
 * @module
 */
import type { Admin, Kafka, Producer } from "kafkajs";
import type { Logger } from "./log.ts";

export interface TransactionalProducers {
  /** The partition's producer, connected (and so fencing older owners). */
  get(topic: string, partition: number): Promise<Producer>;
  /** Disconnects one partition's producer, e.g. after a failed transaction. */
  drop(topic: string, partition: number): Promise<void>;
  /** Keeps only the producers of `owned` (`<topic>-<partition>` ids), after a rebalance. */
  retain(owned: ReadonlySet<string>): void;
  closeAll(): Promise<void>;
  /**
   * Runs `work` alone for its partition: after a rebalance kafkajs can start
   * the new generation's batch while the old one is still committing its
   * last transaction; the new one must wait for it before it reads where to
   * start.
   */
  exclusive<T>(topic: string, partition: number, work: () => Promise<T>): Promise<T>;
}

/** The id of one input partition, as `retain` expects it. */
export function partitionId(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function transactionalProducers(kafka: Kafka, prefix: string): TransactionalProducers {
  const producers = new Map<string, Promise<Producer>>();
  const locks = new Map<string, Promise<unknown>>();
  const dropById = async (id: string) => {
    const p = producers.get(id);
    producers.delete(id);
    await p?.then((producer) => producer.disconnect()).catch(() => {});
  };
  return {
    get(topic, partition) {
      const id = partitionId(topic, partition);
      let p = producers.get(id);
      if (!p) {
        const producer = kafka.producer({
          transactionalId: `${prefix}-${id}`,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: 60_000,
          // Right after a commit the broker answers the next transaction's
          // AddPartitionsToTxn with CONCURRENT_TRANSACTIONS until its markers
          // are written (milliseconds); kafkajs's default first retry waits
          // 300 ms. From 20 ms, tripling, its five retries span ~2.4 s (the
          // count is left alone: setting it makes kafkajs warn about EoS).
          retry: { initialRetryTime: 20, multiplier: 3 },
        });
        p = producer.connect().then(() => producer);
        p.catch(() => producers.delete(id));
        producers.set(id, p);
      }
      return p;
    },
    drop: (topic, partition) => dropById(partitionId(topic, partition)),
    retain(owned) {
      for (const id of [...producers.keys()]) if (!owned.has(id)) void dropById(id);
    },
    async closeAll() {
      for (const id of [...producers.keys()]) await dropById(id);
    },
    exclusive(topic, partition, work) {
      const id = partitionId(topic, partition);
      const previous = locks.get(id) ?? Promise.resolve();
      const run = previous.catch(() => {}).then(work);
      locks.set(id, run.catch(() => {}));
      return run;
    },
  };
}

/**
 * Where a new owner of a partition must start: the group's committed offset,
 * read only after the partition's transactional producer is connected.
 *
 * kafkajs reads committed offsets without KIP-447's "require stable", so
 * right after a crash it can be handed the offset from *before* the previous
 * owner's last transaction, if that transaction was still completing. The
 * producer's `connect()` (InitProducerId) waits until that transaction has
 * committed or aborted; reading the offset after it gives the true start,
 * and records below it must be skipped, not processed twice.
 */
export async function stableCommittedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const found = offsets.partitions.find((p) => p.partition === partition);
  return found ? Number(found.offset) : -1;
}

/**
 * Checks each partition's first batch after a (re)assignment against
 * {@linkcode stableCommittedOffset}. Call `reset()` on every rebalance and
 * `fresh()` after the partition's producer is connected.
 */
/** How long `fresh` waits between its two reads of the committed offset. */
const SETTLE_MS = 250;

export function ownershipGuard(admin: Admin, groupId: string, log?: Logger) {
  const checked = new Set<string>();
  // What this process itself committed last, per partition: never stale.
  const ownCommits = new Map<string, number>();
  return {
    /** Records that this process committed up to `nextOffset`. */
    committed(topic: string, partition: number, nextOffset: number): void {
      const id = partitionId(topic, partition);
      ownCommits.set(id, Math.max(nextOffset, ownCommits.get(id) ?? -1));
    },
    reset(): void {
      checked.clear();
    },
    /**
     * Forgets a partition's check, after a failed transaction: it may have
     * committed all the same (the client saw a timeout, say), so the next
     * batch must look again.
     */
    forget(topic: string, partition: number): void {
      checked.delete(partitionId(topic, partition));
    },
    /** The messages at or past the partition's stable committed offset. */
    async fresh<M extends { offset: string }>(
      topic: string,
      partition: number,
      messages: M[],
    ): Promise<M[]> {
      const id = partitionId(topic, partition);
      if (checked.has(id)) return messages;
      // A stale read can only be lower; the group coordinator applies a
      // completed transaction's offsets a moment after its markers, so a
      // second read shortly after settles it.
      const first = await stableCommittedOffset(admin, groupId, topic, partition);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const second = await stableCommittedOffset(admin, groupId, topic, partition);
      const start = Math.max(first, second, ownCommits.get(id) ?? -1);
      checked.add(id);
      const fresh = start < 0 ? messages : messages.filter((m) => Number(m.offset) >= start);
      if (fresh.length < messages.length) {
        log?.info("skipped records the previous owner had already committed", {
          topic,
          partition,
          skipped: messages.length - fresh.length,
        });
      }
      return fresh;
    },
  };
}
