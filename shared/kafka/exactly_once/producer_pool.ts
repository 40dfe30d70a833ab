/**
 * One transactional producer per input partition, for consume-transform-
 * produce loops (the routing producers and the data consumers), and the
 * settings every transactional producer of the pipeline shares.
 *
 * Each pooled producer's transactional id is `<prefix>-<topic>-<partition>`,
 * the same whoever owns the partition, so the next owner's `connect()`
 * (which initialises the id) aborts the previous owner's open transaction
 * and fences it off. (kafkajs cannot send the consumer group generation with
 * offsets, so KIP-447's one producer per instance would not be safe.)
 *
 * @example
 * ```ts
 * // const pool = producerPool(kafka, "inventory-sync");
 * // const producer = await pool.get("inventory_orders", 3);
 * // pool.retain(new Set([partitionId("inventory_orders", 3)])); // after a rebalance
 * // await pool.closeAll();
 * ```
 * @module
 */
import type { Kafka, Producer } from "kafkajs";

export interface ProducerPool {
  /** The partition's producer, connected (and so fencing older owners). */
  get(topic: string, partition: number): Promise<Producer>;
  /** Disconnects one partition's producer, e.g. after a failed transaction. */
  drop(topic: string, partition: number): Promise<void>;
  /** Keeps only the producers of `owned` ({@linkcode partitionId}s), after a rebalance. */
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

/**
 * A transactional producer as every exactly-once writer of the pipeline
 * configures it (not connected yet).
 */
export function transactionalProducer(kafka: Pick<Kafka, "producer">, transactionalId: string) {
  return kafka.producer({
    transactionalId,
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
}

/** The pool of `<prefix>-<topic>-<partition>` producers; each connects on its first `get`. */
export function producerPool(kafka: Pick<Kafka, "producer">, prefix: string): ProducerPool {
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
        const producer = transactionalProducer(kafka, `${prefix}-${id}`);
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
