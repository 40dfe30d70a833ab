/**
 * The admin questions the product asks Kafka, on a @platformatic/kafka
 * {@linkcode KafkaAdmin} (`createAdmin`, ./client.ts): a topic's offsets,
 * a group's committed offsets, how many partitions and brokers there are.
 * Offsets come back as numbers: a topic here would need 2^53 records
 * before they stop being exact.
 *
 * The library's admin connects on its first request; `close()` ends it.
 *
 * @example
 * ```ts
 * import { createAdmin } from "./client.ts";
 * import { committedOffsets, topicOffsets } from "./admin.ts";
 * const admin = createAdmin({ brokers: ["127.0.0.1:9092"], clientId: "demo" });
 * // const ends = await topicOffsets(admin, "orders");          // [{ partition, low, high }]
 * // const done = await committedOffsets(admin, "g", "orders"); // Map partition → next offset
 * await admin.close();
 * ```
 * @module
 */
import { FetchIsolationLevels, ListOffsetTimestamps } from "@platformatic/kafka";
import type { KafkaAdmin } from "./client.ts";

/** The part of an admin client these questions use (tests hand in a fake of it). */
export type LagAdmin = Pick<KafkaAdmin, "metadata" | "listOffsets" | "listConsumerGroupOffsets">;

/** Where a partition's records start and where a read_committed reader's end. */
export interface PartitionOffsets {
  partition: number;
  /** The first offset still kept. */
  low: number;
  /**
   * The last stable offset: the end a read_committed consumer reaches (the
   * high watermark when no transaction is open). Transaction markers count.
   */
  high: number;
}

/** The partitions of `topic`, as the cluster's metadata has them now. */
export async function partitionCount(
  admin: Pick<KafkaAdmin, "metadata">,
  topic: string,
): Promise<number> {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  return metadata.topics.get(topic)?.partitionsCount ?? 0;
}

/** How many brokers the cluster has. */
export async function brokerCount(admin: KafkaAdmin): Promise<number> {
  return (await admin.metadata({ topics: [], forceUpdate: true })).brokers.size;
}

/**
 * Each partition's first offset and its read_committed end, sorted by
 * partition. Throws for a topic that does not exist or may not be described.
 */
export async function topicOffsets(
  admin: LagAdmin,
  topic: string,
): Promise<PartitionOffsets[]> {
  const partitions = await partitionCount(admin, topic);
  const at = async (timestamp: bigint) => {
    const [listed] = await admin.listOffsets({
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      topics: [{
        name: topic,
        partitions: Array.from({ length: partitions }, (_, p) => ({
          partitionIndex: p,
          timestamp,
        })),
      }],
    });
    return new Map(listed?.partitions.map((p) => [p.partitionIndex, Number(p.offset)]) ?? []);
  };
  const [low, high] = await Promise.all([
    at(ListOffsetTimestamps.EARLIEST),
    at(ListOffsetTimestamps.LATEST),
  ]);
  return Array.from({ length: partitions }, (_, partition) => ({
    partition,
    low: low.get(partition) ?? 0,
    high: high.get(partition) ?? 0,
  }));
}

/**
 * The next offset `groupId` will read on each partition of `topic` it has
 * committed on; a partition it never committed on is missing. An open
 * transaction's offsets are not in it yet: this is what lag and progress
 * read, which never wait for a transaction to end.
 */
export async function committedOffsets(
  admin: LagAdmin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const partitions = await partitionCount(admin, topic);
  const [group] = await admin.listConsumerGroupOffsets({
    groups: [{
      groupId,
      topics: [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, p) => p) }],
    }],
    requireStable: false,
  });
  const out = new Map<number, number>();
  for (const t of group?.topics ?? []) {
    if (t.name !== topic) continue;
    for (const p of t.partitions) {
      if (p.committedOffset >= 0n) out.set(p.partitionIndex, Number(p.committedOffset));
    }
  }
  return out;
}
