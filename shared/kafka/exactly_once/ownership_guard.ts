/**
 * Where a new owner of a partition must start, in a consume-transform-
 * produce loop with one transactional producer per input partition
 * (./producer_pool.ts).
 *
 * kafkajs reads committed offsets without KIP-447's "require stable", so
 * right after a crash it can be handed the offset from *before* the previous
 * owner's last transaction, if that transaction was still completing. The
 * partition producer's `connect()` (InitProducerId) waits until that
 * transaction has committed or aborted; the group's offset read after it
 * gives the true start, and records below it must be skipped, not processed
 * twice.
 *
 * @example
 * ```ts
 * // const guard = ownershipGuard(admin, "inventory-sync", log);
 * // consumer.on(consumer.events.GROUP_JOIN, () => guard.reset());
 * // await pool.get(topic, partition);                       // fences the last owner
 * // const fresh = await guard.fresh(topic, partition, batch.messages);
 * // ... commit a transaction up to nextOffset ...
 * // guard.committed(topic, partition, nextOffset);
 * ```
 * @module
 */
import type { Admin } from "kafkajs";
import type { Logger } from "../../platform/log.ts";
import { partitionId } from "./producer_pool.ts";

/** The group's committed offset of one partition, or -1 when it has none. */
export async function stableCommittedOffset(
  admin: Pick<Admin, "fetchOffsets">,
  groupId: string,
  topic: string,
  partition: number,
): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const found = offsets.partitions.find((p) => p.partition === partition);
  return found ? Number(found.offset) : -1;
}

/** Checks each partition's first batch after a (re)assignment against its committed offset. */
export interface OwnershipGuard {
  /** Records that this process committed up to `nextOffset`. */
  committed(topic: string, partition: number, nextOffset: number): void;
  /** Every partition is checked again: call on each rebalance. */
  reset(): void;
  /**
   * Forgets a partition's check, after a failed transaction: it may have
   * committed all the same (the client saw a timeout, say), so the next
   * batch must look again.
   */
  forget(topic: string, partition: number): void;
  /**
   * The messages at or past the partition's stable committed offset; call
   * after the partition's producer is connected.
   */
  fresh<M extends { offset: string }>(
    topic: string,
    partition: number,
    messages: M[],
  ): Promise<M[]>;
}

/** How long `fresh` waits between its two reads of the committed offset. */
const SETTLE_MS = 250;

export function ownershipGuard(
  admin: Pick<Admin, "fetchOffsets">,
  groupId: string,
  log?: Logger,
  settleMs = SETTLE_MS,
): OwnershipGuard {
  const checked = new Set<string>();
  // What this process itself committed last, per partition: never stale.
  const ownCommits = new Map<string, number>();
  return {
    committed(topic, partition, nextOffset) {
      const id = partitionId(topic, partition);
      ownCommits.set(id, Math.max(nextOffset, ownCommits.get(id) ?? -1));
    },
    reset() {
      checked.clear();
    },
    forget(topic, partition) {
      checked.delete(partitionId(topic, partition));
    },
    async fresh(topic, partition, messages) {
      const id = partitionId(topic, partition);
      if (checked.has(id)) return messages;
      // A stale read can only be lower; the group coordinator applies a
      // completed transaction's offsets a moment after its markers, so a
      // second read shortly after settles it.
      const first = await stableCommittedOffset(admin, groupId, topic, partition);
      await new Promise((r) => setTimeout(r, settleMs));
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
