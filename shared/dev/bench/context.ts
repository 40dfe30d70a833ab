/**
 * What every runner of the benchmark shares: the broker, an admin client,
 * the registry, this run's id (every topic and group name carries it), the
 * scale and where logs go.
 *
 * @example
 * ```ts
 * import { benchTopic } from "./context.ts";
 * benchTopic("r1", "orders", 6).name; // "bench-r1-orders"
 * ```
 * @module
 */
import type { KafkaAdmin } from "../../kafka/client.ts";
import type { KafkaConnection } from "../../kafka/connection.ts";
import type { Logger } from "../../platform/log.ts";
import { renamed, TOPICS, type TopicSpec } from "../../kafka/topics.ts";

export interface BenchContext {
  brokers: string[];
  /** How the bench's own clients connect (a plain broker, no TLS). */
  connection: KafkaConnection;
  admin: KafkaAdmin;
  registryUrl: string;
  runId: string;
  partitions: number;
  logDir: string;
  log: Logger;
}

/** This run's topic `bench-<run>-<what>`, shaped like `like` with `partitions`. */
export function benchTopic(
  runId: string,
  what: string,
  partitions: number,
  like: TopicSpec = TOPICS.orders,
): TopicSpec {
  return { ...renamed(like, `bench-${runId}-${what}`), partitions };
}
