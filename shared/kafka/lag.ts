/**
 * Consumer lag: how far a consumer group's committed offsets are behind the
 * end of a topic, per partition. For a transactional topic "end" is the
 * high watermark, which counts transaction markers too, so a caught-up
 * group may show a lag of a few markers only when it reads such a topic;
 * the pipeline's raw `orders` topic is not transactional.
 *
 * @example
 * ```ts
 * import { consumerLag, totalLag } from "./lag.ts";
 * // const lag = await consumerLag(createAdmin(connection), "inventory-orders-producer", "orders");
 * // totalLag(lag) === 0 // caught up
 * ```
 * @module
 */
import { committedOffsets, type LagAdmin, topicOffsets } from "./admin.ts";

export interface PartitionLag {
  partition: number;
  /** Next offset the group will read; -1 when it has committed nothing. */
  committed: number;
  end: number;
  lag: number;
}

/** Lag of `groupId` on `topic`, per partition. A group that committed nothing lags by all. */
export async function consumerLag(
  admin: LagAdmin,
  groupId: string,
  topic: string,
): Promise<PartitionLag[]> {
  const ends = await topicOffsets(admin, topic);
  const committed = await committedOffsets(admin, groupId, topic);
  return ends.map((e) => {
    const c = committed.get(e.partition) ?? -1;
    const end = e.high;
    const start = c < 0 ? e.low : c;
    return { partition: e.partition, committed: c, end, lag: Math.max(0, end - start) };
  }).sort((a, b) => a.partition - b.partition);
}

/** The sum over partitions. */
export function totalLag(lag: readonly PartitionLag[]): number {
  return lag.reduce((n, p) => n + p.lag, 0);
}
