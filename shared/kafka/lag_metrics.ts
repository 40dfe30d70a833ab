/**
 * Consumer lag as a Prometheus gauge: every few seconds a script asks the
 * broker how far its own consumer group's committed offsets are behind the
 * end of each topic it reads ({@linkcode consumerLag}), and sets
 * `consumer_group_lag{group,topic,partition}`. The figure is the broker's,
 * not the script's own bookkeeping, so it also shows a group that is stuck
 * or dead (its lag keeps growing while the script's counters stand still).
 *
 * The timer never keeps a process alive. A topic that cannot be read (not
 * created yet) leaves the others counted; when none can be read (the broker
 * away) the last values stay, and it says so once.
 *
 * @example
 * ```ts
 * import { startLagMetrics } from "./lag_metrics.ts";
 * import { MetricsRegistry } from "../platform/metrics.ts";
 * const metrics = new MetricsRegistry({ script: "inventory_orders_producer" });
 * // const lag = startLagMetrics({ admin: createAdmin(connection), metrics, groupId: "g", topics: ["orders"] });
 * // ... run ...; await lag.stop();
 * ```
 * @module
 */
import type { LagAdmin } from "./admin.ts";
import { consumerLag, type PartitionLag } from "./lag.ts";
import type { Logger } from "../platform/log.ts";
import type { Gauge, MetricsRegistry } from "../platform/metrics.ts";

/** How often lag is fetched by default: often enough for a dashboard, cheap for the broker. */
export const LAG_INTERVAL_MS = 5000;

/** The name of the gauge, for dashboards and tests. */
export const LAG_METRIC = "consumer_group_lag";

export interface LagMetricsOptions {
  /** Its own admin client (it connects on the first fetch); `stop` closes it. */
  admin: LagAdmin & { close(): Promise<void> };
  metrics: MetricsRegistry;
  groupId: string;
  /** The topics the group reads. */
  topics: readonly string[];
  intervalMs?: number;
  log?: Logger;
}

export interface LagMetrics {
  /** Fetches and sets the gauge now; never throws. Resolves true when every topic was read. */
  refresh(): Promise<boolean>;
  /** Stops the timer and closes the admin client. */
  stop(): Promise<void>;
}

/** Sets one gauge series per partition of `topic`. Pure apart from the gauge. */
export function setLag(
  gauge: Gauge,
  groupId: string,
  topic: string,
  lag: readonly PartitionLag[],
): void {
  for (const p of lag) gauge.set({ group: groupId, topic, partition: p.partition }, p.lag);
}

/** Starts refreshing the lag gauge at once and then every `intervalMs`; see the module doc. */
export function startLagMetrics(options: LagMetricsOptions): LagMetrics {
  const { admin, groupId, log } = options;
  const gauge = options.metrics.gauge(
    LAG_METRIC,
    "records the consumer group has not committed yet, per topic and partition (from the broker)",
    ["group", "topic", "partition"],
  );
  let failing = false;
  let stopped = false;
  let running: Promise<boolean> | undefined;

  const fetchAll = async (): Promise<boolean> => {
    const failures: unknown[] = [];
    for (const topic of options.topics) {
      try {
        setLag(gauge, groupId, topic, await consumerLag(admin, groupId, topic));
      } catch (err) {
        // A retry topic nobody created yet, say; the others still count.
        failures.push(err);
        log?.debug("lag not available", { topic, error: (err as Error).message });
      }
    }
    // Not one topic answered: the broker, not a topic, is what is missing.
    if (failures.length > 0 && failures.length === options.topics.length) throw failures[0];
    return failures.length === 0;
  };

  const refresh = (): Promise<boolean> => {
    // One fetch at a time: a slow broker must not pile requests up.
    running ??= fetchAll().then(
      (complete) => {
        if (failing) log?.info("consumer lag available again", { groupId });
        failing = false;
        return complete;
      },
      (err) => {
        if (!failing) {
          log?.warn("cannot fetch consumer lag; keeping the last values", {
            groupId,
            error: (err as Error).message,
          });
        }
        failing = true;
        return false;
      },
    ).finally(() => running = undefined);
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) refresh();
  }, options.intervalMs ?? LAG_INTERVAL_MS);
  Deno.unrefTimer(timer);
  refresh();

  return {
    refresh,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await admin.close().catch(() => {});
    },
  };
}
