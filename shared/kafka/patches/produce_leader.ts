/**
 * A producer whose sends follow a partition's new leader after a node dies.
 * @platformatic/kafka 2.12.1 groups a send's records by their partitions'
 * leaders, one Produce request per node, and retries a request that a node
 * refuses as "not the leader" (NOT_LEADER_OR_FOLLOWER and its other
 * `hasStaleMetadata` errors) twice wrongly:
 *
 * - it refreshes its metadata before a retry only after a network error, so
 *   every retry goes to the same old leader until the retries run out;
 * - a retry goes to the new leader of the request's first record's
 *   partition with all of the request's records, though after a leader
 *   move they may belong to two nodes: the other node's partitions are
 *   refused on every retry.
 *
 * Found by `deno task verify --chaos` on the secured three-node cluster: its
 * tagged orders, sent while a node was down, failed with "Producing messages
 * failed." after 121 NOT_LEADER_OR_FOLLOWER answers.
 *
 * The repair: a Produce answer that says the metadata is stale marks the
 * producer, and the next metadata lookup (the retry's) asks the cluster; and
 * a send outside a transaction goes out as one send per partition, at once,
 * so that each request's records have one leader. Retries keep the
 * library's producer id and sequence numbers, so the broker drops a batch it
 * already has: nothing is written twice. A transaction's sends are left as
 * they are: the exactly-once loop aborts a failed transaction and carries
 * it again with a new producer, which reads fresh metadata.
 *
 * @example
 * ```ts
 * import { LeaderFollowingProducer } from "./produce_leader.ts";
 * const producer = new LeaderFollowingProducer({ clientId: "demo", bootstrapBrokers: ["127.0.0.1:9092"] });
 * await producer.close();
 * ```
 * @module
 */
import { promisify } from "node:util";
import type { Buffer } from "node:buffer";
import {
  type API,
  type Callback,
  type CallbackWithPromise,
  type ClusterMetadata,
  findErrorBy,
  kGetApi,
  kMetadata,
  kOptions,
  type MessageToProduce,
  type MetadataOptions,
  type Partitioner,
  type ProduceResult,
  type SendOptions,
} from "@platformatic/kafka";
import { TransactionsProducer } from "./client_transactions.ts";

/** Whether `error` (or one it wraps) says the client's metadata is out of date. Pure. */
export function saysStaleMetadata(error: unknown): boolean {
  return !!findErrorBy(error as Error, "hasStaleMetadata", true);
}

type Record = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/**
 * `messages` grouped by partition, in order within each, every record given
 * its partition: its own, else `partitioner`'s, modulo its topic's
 * `partitions` (as the library assigns them). Pure but for the partitioner.
 */
export function byPartition(
  messages: readonly Record[],
  partitions: (topic: string) => number,
  partitioner: Partitioner<Buffer, Buffer, Buffer, Buffer>,
): Record[][] {
  const groups = new Map<string, Record[]>();
  for (const m of messages) {
    const raw = typeof m.partition === "number"
      ? m.partition
      : partitioner(m, m.key as Buffer, { metadata: undefined });
    const partition = raw % partitions(m.topic);
    const id = `${m.topic}\u0000${partition}`;
    let group = groups.get(id);
    if (!group) groups.set(id, group = []);
    group.push({ ...m, partition });
  }
  return [...groups.values()];
}

/** The producer every script gets (shared/kafka/client.ts): transactions repaired too. */
export class LeaderFollowingProducer extends TransactionsProducer {
  /** A Produce answer said the metadata is stale: the next lookup asks the cluster. */
  #stale = false;

  override send(
    options: SendOptions<Buffer, Buffer, Buffer, Buffer>,
    callback: CallbackWithPromise<ProduceResult>,
  ): void;
  override send(options: SendOptions<Buffer, Buffer, Buffer, Buffer>): Promise<ProduceResult>;
  override send(
    options: SendOptions<Buffer, Buffer, Buffer, Buffer>,
    callback?: CallbackWithPromise<ProduceResult>,
  ): Promise<ProduceResult> | void {
    const partitioner = (options.partitioner ?? this[kOptions].partitioner) as
      | Partitioner<Buffer, Buffer, Buffer, Buffer>
      | undefined;
    // A transaction's send (the library marks it), a callback caller, or no
    // partitioner of ours: as the library does it.
    if (this.transaction || callback || !partitioner || options.messages.length < 2) {
      return callback ? super.send(options, callback) : super.send(options);
    }
    return this.#sendByPartition(options, partitioner);
  }

  async #sendByPartition(
    options: SendOptions<Buffer, Buffer, Buffer, Buffer>,
    partitioner: Partitioner<Buffer, Buffer, Buffer, Buffer>,
  ): Promise<ProduceResult> {
    const topics = [...new Set(options.messages.map((m) => m.topic))];
    const metadata = await this.metadata({ topics });
    const groups = byPartition(
      options.messages,
      (topic) => metadata.topics.get(topic)!.partitionsCount,
      partitioner,
    );
    if (groups.length === 1) return await super.send(options);
    // An idempotent producer gets its id once, before the sends run side by side.
    if ((options.idempotent ?? this[kOptions].idempotent) && this.producerId === undefined) {
      await this.initIdempotentProducer({});
    }
    const results = await Promise.all(
      groups.map((messages) => super.send({ ...options, messages })),
    );
    return { offsets: results.flatMap((r) => r.offsets ?? []) };
  }

  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(
    name: string,
    callback: Callback<API<RequestArguments, ResponseType>>,
  ): void {
    if (name !== "Produce") return super[kGetApi](name, callback);
    super[kGetApi]<RequestArguments, ResponseType>(name, (error, api) => {
      if (error || !api) return callback(error);
      const watched = ((connection: unknown, ...args: unknown[]) => {
        const done = args.pop() as (error: unknown, response?: unknown) => void;
        (api as unknown as (...a: unknown[]) => void)(
          connection,
          ...args,
          (err: unknown, response?: unknown) => {
            if (saysStaleMetadata(err)) this.#stale = true;
            done(err, response);
          },
        );
      }) as unknown as API<RequestArguments, ResponseType>;
      Object.assign(watched, { key: api.key, version: api.version });
      (watched as unknown as { async: unknown }).async = promisify(watched);
      callback(null, watched);
    });
  }

  override [kMetadata](
    options: MetadataOptions,
    callback: CallbackWithPromise<ClusterMetadata>,
  ): void {
    if (!this.#stale) return super[kMetadata](options, callback);
    this.#stale = false;
    super[kMetadata]({ ...options, forceUpdate: true }, callback);
  }
}
