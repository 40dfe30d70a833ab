/**
 * The pipeline's topics as its scripts name them by default: the declared
 * table (./topics.ts) plus the retry and dead-letter topics each retrying
 * stage derives from its input, and the DLQ replay ledgers. The demo creates
 * these, the aggregator and dashboard read them, and the ACL table
 * (scripts/services.ts) grants them, so the names are derived here once.
 *
 * @example
 * ```ts
 * import { pipelineTopics, ROUTER_RETRY_BASES } from "./topology.ts";
 * console.log(pipelineTopics().map((t) => t.name));
 * console.log(ROUTER_RETRY_BASES.inventory); // "orders-inventory"
 * ```
 * @module
 */
import { DEFAULT_BACKOFF, dlqTopicName, retryTopicsFor } from "../shared/retry/backoff.ts";
import { ledgerTopicSpec } from "../shared/dlq_replay/ledger.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE } from "../shared/router/routing_spec.ts";
import { renamed, TOPICS, type TopicSpec } from "../shared/kafka/topics.ts";
import { NOTIFIER_RETRY_BASE } from "../shared/notify/config.ts";

/** Each router hands failures to `<raw topic>-<type>-retry-<n>` (producers/routing_producer.ts). */
export const ROUTER_RETRY_BASES = {
  inventory: `${TOPICS.orders.name}-${INVENTORY_ROUTE.type}`,
  delivery: `${TOPICS.orders.name}-${DELIVERY_ROUTE.type}`,
} as const;

/**
 * Each data consumer's sources and group (consumers/*_data_consumer.ts take
 * them from here), and the change log it publishes what it applied to, if any.
 */
export const CONSUMERS: Record<
  "inventory" | "delivery",
  { sources: readonly TopicSpec[]; groupId: string; changeLog?: TopicSpec }
> = {
  inventory: {
    sources: [TOPICS.inventoryOrders],
    groupId: "inventory-sync",
    changeLog: TOPICS.inventory,
  },
  delivery: {
    sources: [TOPICS.deliveryOrders, TOPICS.deliveryEvents],
    groupId: "delivery-tracker",
  },
} as const;

const consumerSources = (): TopicSpec[] => Object.values(CONSUMERS).flatMap((c) => c.sources);

/** The retry topics of `base` under the default backoff. */
export function retryTopics(base: string): string[] {
  return retryTopicsFor(base, DEFAULT_BACKOFF);
}

/** The dead-letter topics of the pipeline: the routers', one per consumer source, the notifier's. */
export function dlqTopics(): string[] {
  return [
    TOPICS.ordersDlq.name,
    ...consumerSources().map((s) => dlqTopicName(s.name)),
    dlqTopicName(NOTIFIER_RETRY_BASE),
  ];
}

/** Every retry and dead-letter topic, as the scripts would create them. */
export function failureTopics(): TopicSpec[] {
  const routerRetries = Object.values(ROUTER_RETRY_BASES).flatMap((base) =>
    retryTopics(base).map((name) => renamed(TOPICS.orders, name))
  );
  const consumerFailures = consumerSources().flatMap((spec) => [
    ...retryTopics(spec.name).map((name) => renamed(spec, name)),
    renamed(TOPICS.ordersDlq, dlqTopicName(spec.name)),
  ]);
  // The notifier's own (scripts/notifier.ts): its sends fail apart from the status stream's readers.
  const notifierFailures = [
    ...retryTopics(NOTIFIER_RETRY_BASE).map((name) => renamed(TOPICS.orderStatus, name)),
    renamed(TOPICS.ordersDlq, dlqTopicName(NOTIFIER_RETRY_BASE)),
  ];
  return [...routerRetries, ...consumerFailures, ...notifierFailures];
}

/** Every topic of the pipeline: the declared table, retries, DLQs and the replay ledgers. */
export function pipelineTopics(): TopicSpec[] {
  return [
    ...Object.values(TOPICS),
    ...failureTopics(),
    ...dlqTopics().map((t) => ledgerTopicSpec(t)),
  ];
}
