/**
 * Consumer lag for the dashboard: which (group, topic) pairs to watch, from
 * the `--lag` flag (`group:topic`, the topic after the last colon since
 * Kafka topic names have none), and the table rows built from
 * shared/kafka/lag.ts's per-partition figures. Pure.
 *
 * @example
 * ```ts
 * import { lagGroupView, parseLagTargets } from "./lag_view.ts";
 * parseLagTargets(["inventory-sync:inventory_orders"]);
 * // [{ group: "inventory-sync", topic: "inventory_orders" }]
 * lagGroupView({ group: "g", topic: "t" }, [{ partition: 0, committed: 5, end: 9, lag: 4 }]).total; // 4
 * ```
 * @module
 */
import { ConfigError } from "../platform/config.ts";
import { type PartitionLag, totalLag } from "../kafka/lag.ts";

/** One consumer group on one topic. */
export interface LagTarget {
  group: string;
  topic: string;
}

/** The pipeline's groups and what they read (README; shared/router/routing_spec.ts; the consumers). */
export const DEFAULT_LAG_TARGETS: readonly string[] = [
  "inventory-orders-producer:orders",
  "delivery-orders-producer:orders",
  "inventory-sync:inventory_orders",
  "delivery-tracker:delivery_orders",
  "delivery-tracker:delivery_events",
  "order-aggregator:orders",
];

/** Parses `group:topic` entries; throws a {@linkcode ConfigError} for `--lag` naming the bad one. */
export function parseLagTargets(entries: readonly string[]): LagTarget[] {
  const seen = new Set<string>();
  const out: LagTarget[] = [];
  for (const entry of entries) {
    const at = entry.lastIndexOf(":");
    const group = entry.slice(0, at).trim();
    const topic = entry.slice(at + 1).trim();
    if (at < 0 || group === "" || !/^[A-Za-z0-9._-]+$/.test(topic)) {
      throw new ConfigError("lag", `--lag: "${entry}" is not group:topic`);
    }
    const key = `${group}\u0000${topic}`;
    if (!seen.has(key)) out.push({ group, topic });
    seen.add(key);
  }
  return out;
}

/** One table group: a consumer group on a topic. */
export interface LagGroupView extends LagTarget {
  /** Lag summed over partitions. */
  total: number;
  /** Whether the group has committed anything on the topic. */
  active: boolean;
  partitions: PartitionLag[];
  /** Why the figures are missing (the topic does not exist, ...). */
  error?: string;
}

/** The view of one target's lag, or of the error that kept it from being read. */
export function lagGroupView(
  target: LagTarget,
  lag: readonly PartitionLag[] | { error: string },
): LagGroupView {
  if ("error" in lag) {
    return { ...target, total: 0, active: false, partitions: [], error: lag.error };
  }
  return {
    ...target,
    total: totalLag(lag),
    active: lag.some((p) => p.committed >= 0),
    partitions: [...lag],
  };
}

/** The lag of every target summed; what the header card shows. */
export function overallLag(groups: readonly LagGroupView[]): number {
  return groups.reduce((n, g) => n + g.total, 0);
}
