/**
 * The Connect worker's Kafka principal, derived from its settings: what the
 * worker itself and the clients it makes for the two connectors touch. The
 * service table (scripts/services.ts) turns it into the principal's ACLs
 * (shared/kafka/acls.ts), like every script's.
 *
 * @example
 * ```ts
 * import { connectAccess } from "./access.ts";
 * const access = connectAccess({
 *   groupId: "order-pipeline-connect",
 *   ordersTopic: "orders",
 *   statusTopic: "order_status",
 * });
 * access.writes; // the internal topics, and "orders"
 * ```
 * @module
 */
import type { KafkaAccess } from "../kafka/acls.ts";
import {
  DEFAULT_OUTBOX,
  DEFAULT_STATUS_SINK,
  sinkGroupId,
  sourceTransactionalIdPrefix,
  workerTopics,
  workerTransactionalId,
} from "./connectors.ts";

/** The worker's access with `groupId` and the two topics it bridges. Pure. */
export function connectAccess(
  s: { groupId: string; ordersTopic: string; statusTopic: string },
): Omit<KafkaAccess, "principal"> {
  const internal = Object.values(workerTopics(s.groupId));
  return {
    // The worker reads back its configs, offsets and statuses; the sink reads status events.
    reads: [...internal, s.statusTopic],
    writes: [...internal, s.ordersTopic],
    groups: [s.groupId, sinkGroupId(DEFAULT_STATUS_SINK.connector)],
    // KIP-618: the leader writes configs transactionally, and so does each source task.
    transactionalIds: [workerTransactionalId(s.groupId)],
    transactionalIdPrefixes: [sourceTransactionalIdPrefix(s.groupId, DEFAULT_OUTBOX.connector)],
  };
}
