/**
 * The demo's clean end: wait until the producers, the consumers (their
 * retry topics too) and the aggregator have drained what was sent, for up
 * to 45 s (a record can wait 2 + 4 + 8 s in retry topics); then say who is
 * still behind. Consumers of transactional topics see a commit marker past
 * their last record, which does not count.
 *
 * @example
 * ```ts
 * import { markersOnly } from "./demo_drain.ts";
 * markersOnly([{ partition: 0, committed: 9, end: 10, lag: 1 }]); // 0: only the marker
 * ```
 * @module
 */
import { createAdmin } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { consumerLag, type PartitionLag, totalLag } from "../kafka/lag.ts";
import type { Logger } from "../platform/log.ts";
import { DEFAULT_BACKOFF, retryTopicsFor } from "../retry/backoff.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE } from "../router/routing_spec.ts";
import { sleep } from "../platform/shutdown.ts";
import { TOPICS } from "../kafka/topics.ts";
import { CONSUMERS, failureTopics } from "../../scripts/topology.ts";

/**
 * 0 when a group has read a transactional topic to its end: what is left
 * past its committed offset can only be the last transaction's commit marker.
 */
export function markersOnly(lag: PartitionLag[]): number {
  return lag.reduce((n, p) => n + (p.committed < 0 ? p.lag : Math.max(0, p.lag - 1)), 0);
}

/**
 * Waits (up to 45 s: a record can wait 2 + 4 + 8 s in retry topics) until
 * the producers and consumers have drained what was sent, retries included.
 */
export async function drain(
  connection: KafkaConnection,
  log: Logger,
  aggregatorGroup: string,
): Promise<void> {
  const admin = createAdmin(connection);
  // Consumers of transactional topics see commit markers past their last record.
  const exact = (group: string, topic: string) => ({ group, topic, count: totalLag });
  const txn = (group: string, topic: string) => ({ group, topic, count: markersOnly });
  const retries = (group: string, sources: string[]) =>
    sources.flatMap((t) => retryTopicsFor(t, DEFAULT_BACKOFF)).map((topic) => txn(group, topic));
  const watched = [
    ...[INVENTORY_ROUTE, DELIVERY_ROUTE].map((r) => exact(r.groupId, TOPICS.orders.name)),
    txn(CONSUMERS.inventory.groupId, TOPICS.inventoryOrders.name),
    txn(CONSUMERS.delivery.groupId, TOPICS.deliveryOrders.name),
    ...retries(CONSUMERS.inventory.groupId, [TOPICS.inventoryOrders.name]),
    ...retries(CONSUMERS.delivery.groupId, [
      TOPICS.deliveryOrders.name,
      TOPICS.deliveryEvents.name,
    ]),
    // The aggregator has folded (and committed) every order, status event and failure.
    exact(aggregatorGroup, TOPICS.orders.name),
    txn(aggregatorGroup, TOPICS.orderStatus.name),
    txn(aggregatorGroup, TOPICS.ordersDlq.name),
    ...failureTopics().map((t) => txn(aggregatorGroup, t.name)),
  ];
  try {
    const deadline = Date.now() + 45_000;
    let left: string[] = [];
    let lastError: unknown;
    while (Date.now() < deadline) {
      // A read that fails (a node restarting, metadata not yet current on a
      // cluster) counts as behind, and is read again on the next round.
      const lags = await Promise.all(
        watched.map(async (w) => {
          try {
            return w.count(await consumerLag(admin, w.group, w.topic));
          } catch (err) {
            lastError = err;
            return 1;
          }
        }),
      );
      left = watched.filter((_, i) => lags[i] > 0).map((w) => `${w.group} on ${w.topic}`);
      if (left.length === 0) return;
      await sleep(250);
    }
    log.warn("the pipeline did not drain what was sent within 45 s", {
      behind: left,
      ...(lastError ? { lastError: (lastError as Error).message } : {}),
    });
  } finally {
    await admin.close();
  }
}
