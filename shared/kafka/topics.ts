/**
 * The one declared table of the pipeline's topics, and an idempotent step
 * that creates the missing ones. Every script and test takes topic settings
 * from here, so partitions, retention and compaction are decided once.
 *
 * @example
 * ```ts
 * import { ensureTopics, TOPICS } from "./topics.ts";
 * // await ensureTopics(createAdmin(connection), [TOPICS.orders, TOPICS.inventoryOrders], log);
 * ```
 * @module
 */
import { brokerCount, topicOffsets } from "./admin.ts";
import { createAdmin, type KafkaAdmin } from "./client.ts";
import type { KafkaConnection } from "./connection.ts";
import { kafkaErrorTypes } from "./errors.ts";
import type { Logger } from "../platform/log.ts";

export interface TopicSpec {
  name: string;
  partitions: number;
  /**
   * Replication factor; -1 (every declared topic) takes the cluster's:
   * KAFKA_REPLICATION_FACTOR, else min(3, brokers), see {@linkcode replicationFactorFor}.
   */
  replication: number;
  /** `delete` keeps records for `retentionMs`; `compact` keeps the last per key. */
  cleanup: "delete" | "compact";
  retentionMs?: number;
  /** Why the topic exists, for `--help` and the README. */
  purpose: string;
}

const DAY = 24 * 60 * 60 * 1000;

/** Every topic the pipeline uses. Replication -1 means the cluster's (see `replication`). */
export const TOPICS = {
  orders: {
    name: "orders",
    partitions: 6,
    replication: -1,
    cleanup: "delete",
    retentionMs: 7 * DAY,
    purpose: "raw orders of every type, JSON, keyed by order id",
  },
  inventoryOrders: {
    name: "inventory_orders",
    partitions: 6,
    replication: -1,
    cleanup: "delete",
    retentionMs: 7 * DAY,
    purpose: "inventory orders, Avro, keyed by SKU",
  },
  deliveryOrders: {
    name: "delivery_orders",
    partitions: 6,
    replication: -1,
    cleanup: "delete",
    retentionMs: 7 * DAY,
    purpose: "delivery orders, Avro, keyed by order id",
  },
  deliveryEvents: {
    name: "delivery_events",
    partitions: 6,
    replication: -1,
    cleanup: "delete",
    retentionMs: 7 * DAY,
    purpose:
      "carrier updates of deliveries (dispatched, in transit, delivered, failed), Avro, keyed by order id",
  },
  orderStatus: {
    name: "order_status",
    partitions: 6,
    replication: -1,
    cleanup: "delete",
    retentionMs: 30 * DAY,
    purpose: "status changes of every order, keyed by order id",
  },
  // A change log, not a table: replaying it rebuilds each SKU's stock, which
  // needs every change. Compaction would keep a SKU's last event only, and
  // that is the stock only if no reader missed one; `delete` keeps them all.
  inventory: {
    name: "inventory",
    partitions: 6,
    replication: -1,
    cleanup: "delete",
    retentionMs: 30 * DAY,
    purpose:
      "each stock change the inventory consumer applied (SKU, change, on hand after, movement, order, time), Avro, keyed by SKU",
  },
  ordersDlq: {
    name: "orders-dlq",
    partitions: 1,
    replication: -1,
    cleanup: "delete",
    retentionMs: 30 * DAY,
    purpose: "orders that could not be routed, with the reason in headers",
  },
  clicks: {
    name: "clicks",
    partitions: 6,
    replication: -1,
    cleanup: "delete",
    retentionMs: 7 * DAY,
    purpose: "product views (the clickstream), JSON, keyed by user id",
  },
  orderStats: {
    name: "order_stats",
    partitions: 1,
    replication: -1,
    cleanup: "compact",
    purpose:
      "the aggregator's state (with the offsets it covers) and dashboard snapshots, written in transactions (compacted)",
  },
  schemas: {
    name: "_schemas",
    partitions: 1,
    replication: -1,
    cleanup: "compact",
    purpose: "the schema registry's durable store (compacted, one partition)",
  },
} as const satisfies Record<string, TopicSpec>;

/** A copy of `spec` under another name, e.g. a test's own topic. */
export function renamed(spec: TopicSpec, name: string): TopicSpec {
  return { ...spec, name };
}

/** The broker configs a spec asks for. Pure, tested on its own. */
export function topicConfigEntries(spec: TopicSpec): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [
    { name: "cleanup.policy", value: spec.cleanup },
  ];
  if (spec.retentionMs !== undefined) {
    entries.push({ name: "retention.ms", value: String(spec.retentionMs) });
  }
  return entries;
}

/**
 * The replication factor a topic gets: its own when the spec fixes one,
 * else `configured` (KAFKA_REPLICATION_FACTOR), else min(3, brokers). Pure.
 */
export function replicationFactorFor(
  spec: Pick<TopicSpec, "replication">,
  brokers: number,
  configured?: number,
): number {
  if (spec.replication > 0) return spec.replication;
  return configured ?? Math.min(3, Math.max(1, brokers));
}

/**
 * What keeps an acknowledged record on a replicated topic: writes with
 * acks=all need two in-sync replicas (one on a single node), and a replica
 * that fell behind never becomes leader. Pure.
 */
export function durabilityConfigEntries(replication: number): { name: string; value: string }[] {
  return [
    { name: "min.insync.replicas", value: String(Math.min(2, replication)) },
    { name: "unclean.leader.election.enable", value: "false" },
  ];
}

/** KAFKA_REPLICATION_FACTOR, when set to a whole number of at least 1. */
function configuredReplication(): number | undefined {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("KAFKA_REPLICATION_FACTOR");
  } catch { /* not permitted: unset */ }
  const n = Number(raw);
  return raw && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/**
 * Creates the topics that do not exist yet; existing ones are left as they
 * are (and logged), so running it on every start is safe.
 * Returns the names it created.
 */
export async function ensureTopics(
  admin: KafkaAdmin,
  specs: readonly TopicSpec[],
  log?: Logger,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) {
    const brokers = await brokerCount(admin);
    const configured = configuredReplication();
    // One request per topic: a request's configs apply to all of its topics.
    await Promise.all(missing.map(async (s) => {
      const replicas = replicationFactorFor(s, brokers, configured);
      try {
        await admin.createTopics({
          topics: [s.name],
          partitions: s.partitions,
          replicas,
          configs: [...topicConfigEntries(s), ...durabilityConfigEntries(replicas)],
        });
      } catch (err) {
        // Another process created it first: it exists, which is all we want.
        if (!kafkaErrorTypes(err).includes("TOPIC_ALREADY_EXISTS")) throw err;
        log?.debug("topic created meanwhile", { topic: s.name });
      }
    }));
  }
  // A new topic's leaders can be known to the controller before every
  // broker serves the partitions; wait until its offsets can be listed.
  for (const s of missing) await untilServed(admin, s.name);
  for (const s of specs) {
    log?.info(existing.has(s.name) ? "topic exists" : "topic created", {
      topic: s.name,
      partitions: s.partitions,
    });
  }
  return missing.map((s) => s.name);
}

/**
 * {@linkcode ensureTopics} with an admin client of its own, closed after. It
 * retries twice only, so an unreachable broker is said in seconds.
 */
export async function ensureTopicsAt(
  connection: KafkaConnection,
  specs: readonly TopicSpec[],
  log?: Logger,
): Promise<string[]> {
  const admin = createAdmin({ ...connection, retries: 2 });
  try {
    return await ensureTopics(admin, specs, log);
  } finally {
    await admin.close().catch(() => {});
  }
}

async function untilServed(admin: KafkaAdmin, topic: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await topicOffsets(admin, topic);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
