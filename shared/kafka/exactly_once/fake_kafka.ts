/**
 * An in-memory stand-in for the parts of kafkajs the exactly-once loop uses
 * (a consumer group member, an admin, transactional producers), for unit
 * tests without a broker. It keeps what a broker keeps for the loop's
 * correctness: the records and group offsets of *committed* transactions
 * only, and one epoch per transactional id, so a producer whose id was
 * connected again since is fenced. A test drives the consumer by hand:
 * `join` (a rebalance), `deliver` (one eachBatch call), `crash`.
 *
 * @example
 * ```ts
 * import { fakeKafka } from "./fake_kafka.ts";
 * const cluster = fakeKafka();
 * const producer = cluster.kafka.producer({ transactionalId: "t" });
 * await producer.connect();
 * const tx = await producer.transaction();
 * await tx.send({ topic: "out", messages: [{ key: "k", value: "v" }] });
 * await tx.commit();
 * cluster.records("out"); // [{ key: "k", value: "v" }]
 * ```
 * @module
 */
import type { EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";

/** A committed record, as a `read_committed` reader would see it. */
export interface CommittedRecord {
  key: string;
  value: string;
}

/** What a test can make the broker do to the next call of a kind. */
export type Fault = "fail" | "hang";

/** The error a fenced producer gets, as kafkajs reports it. */
export function fencedError(): Error {
  return Object.assign(new Error("The producer's epoch is old: it has been fenced"), {
    type: "INVALID_PRODUCER_EPOCH",
    retriable: false,
  });
}

interface OpenTransaction {
  records: { topic: string; record: CommittedRecord }[];
  offsets: { group: string; topic: string; partition: number; offset: number }[];
}

/** One eachBatch call's outcome. */
export interface Delivery {
  resolved: string[];
  error?: unknown;
}

type Handler = (e: { payload: Record<string, unknown> }) => void;

/** A consumer the test drives. */
export interface FakeConsumer {
  groupId: string;
  config: Record<string, unknown>;
  subscribed: string[];
  /** Between kafkajs's `run` and `disconnect`. */
  readonly running: boolean;
  /** A rebalance: the member now owns `assignment` (topic → partitions). */
  join(assignment: Record<string, number[]>): void;
  /** kafkajs calls eachBatch with this partition's `messages`. */
  deliver(topic: string, partition: number, messages: KafkaMessage[]): Promise<Delivery>;
  /** The consumer crashed with `error`; `restart` as kafkajs says it. */
  crash(error: Error, restart: boolean): void;
}

export function fakeKafka(options: { partitionsPerTopic?: number } = {}) {
  /** What happened, in order: connects, disconnects, commits, aborts. */
  const events: string[] = [];
  const committed = new Map<string, CommittedRecord[]>();
  const groupOffsets = new Map<string, number>();
  const epochs = new Map<string, number>();
  const open = new Map<string, OpenTransaction>();
  const faults: Record<"send" | "commit", Fault[]> = { send: [], commit: [] };
  const consumers: FakeConsumer[] = [];
  const offsetKey = (group: string, topic: string, partition: number) =>
    `${group}|${topic}|${partition}`;

  const act = async (kind: "send" | "commit") => {
    const fault = faults[kind].shift();
    if (fault === "fail") {
      throw Object.assign(new Error(`injected ${kind} failure`), { retriable: false });
    }
    if (fault === "hang") await new Promise(() => {});
  };

  const producer = (config: { transactionalId: string }) => {
    const id = config.transactionalId;
    let epoch = 0;
    const live = () => {
      if (epochs.get(id) !== epoch) throw fencedError();
    };
    return {
      config,
      connect() {
        epoch = (epochs.get(id) ?? 0) + 1;
        epochs.set(id, epoch);
        // InitProducerId ends the id's open transaction: a crashed owner's is aborted.
        if (open.delete(id)) events.push(`aborted open transaction of ${id}`);
        events.push(`producer connect ${id}`);
        return Promise.resolve();
      },
      disconnect() {
        events.push(`producer disconnect ${id}`);
        return Promise.resolve();
      },
      transaction() {
        // Beginning is local in kafkajs: a fenced producer hears of it on its first request.
        const tx: OpenTransaction = { records: [], offsets: [] };
        open.set(id, tx);
        const mine = () => {
          live();
          if (open.get(id) !== tx) throw new Error("transaction no longer open");
        };
        return Promise.resolve({
          async send(record: { topic: string; messages: { key?: unknown; value: unknown }[] }) {
            mine();
            await act("send");
            mine();
            for (const m of record.messages) {
              tx.records.push({
                topic: record.topic,
                record: { key: String(m.key), value: String(m.value) },
              });
            }
            return [];
          },
          sendOffsets(o: {
            consumerGroupId: string;
            topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
          }) {
            mine();
            for (const t of o.topics) {
              for (const p of t.partitions) {
                tx.offsets.push({
                  group: o.consumerGroupId,
                  topic: t.topic,
                  partition: p.partition,
                  offset: Number(p.offset),
                });
              }
            }
            return Promise.resolve();
          },
          async commit() {
            mine();
            await act("commit");
            mine();
            open.delete(id);
            for (const { topic, record } of tx.records) {
              committed.set(topic, [...(committed.get(topic) ?? []), record]);
            }
            for (const o of tx.offsets) {
              groupOffsets.set(offsetKey(o.group, o.topic, o.partition), o.offset);
            }
            events.push(`commit ${id}`);
          },
          abort() {
            if (open.get(id) === tx) open.delete(id);
            events.push(`abort ${id}`);
            return Promise.resolve();
          },
        });
      },
    };
  };

  const admin = () => ({
    connect: () => (events.push("admin connect"), Promise.resolve()),
    disconnect: () => (events.push("admin disconnect"), Promise.resolve()),
    fetchOffsets({ groupId, topics }: { groupId: string; topics: string[] }) {
      return Promise.resolve(topics.map((topic) => ({
        topic,
        partitions: [...groupOffsets.entries()]
          .filter(([k]) => k.startsWith(`${groupId}|${topic}|`))
          .map(([k, offset]) => ({ partition: Number(k.split("|")[2]), offset: String(offset) })),
      })));
    },
    fetchTopicMetadata({ topics }: { topics: string[] }) {
      const partitions = Array.from(
        { length: options.partitionsPerTopic ?? 3 },
        (_, partitionId) => ({ partitionId }),
      );
      return Promise.resolve({ topics: topics.map((name) => ({ name, partitions })) });
    },
  });

  const consumer = (config: { groupId: string }) => {
    const handlers = new Map<string, Handler[]>();
    const emit = (event: string, payload: Record<string, unknown>) => {
      for (const h of handlers.get(event) ?? []) h({ payload });
    };
    let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
    const fake: FakeConsumer = {
      groupId: config.groupId,
      config,
      subscribed: [],
      get running() {
        return eachBatch !== undefined;
      },
      join: (memberAssignment) => emit("consumer.group_join", { memberAssignment }),
      crash: (error, restart) => emit("consumer.crash", { error, restart }),
      async deliver(topic, partition, messages) {
        if (!eachBatch) throw new Error("the consumer is not running");
        const resolved: string[] = [];
        const payload = {
          batch: { topic, partition, messages },
          resolveOffset: (offset: string) => resolved.push(offset),
          heartbeat: () => Promise.resolve(),
          isRunning: () => true,
          isStale: () => false,
          pause: () => () => {},
        } as unknown as EachBatchPayload;
        try {
          await eachBatch(payload);
          return { resolved };
        } catch (error) {
          return { resolved, error };
        }
      },
    };
    consumers.push(fake);
    return {
      events: { GROUP_JOIN: "consumer.group_join", CRASH: "consumer.crash" },
      on(event: string, handler: Handler) {
        handlers.set(event, [...(handlers.get(event) ?? []), handler]);
        return () => {};
      },
      connect: () => (events.push("consumer connect"), Promise.resolve()),
      subscribe({ topics }: { topics: string[] }) {
        fake.subscribed.push(...topics);
        return Promise.resolve();
      },
      run(o: { eachBatch: (p: EachBatchPayload) => Promise<void> }) {
        eachBatch = o.eachBatch;
        events.push("consumer run");
        return Promise.resolve();
      },
      disconnect() {
        events.push("consumer disconnect");
        eachBatch = undefined;
        return Promise.resolve();
      },
    };
  };

  return {
    kafka: { consumer, admin, producer } as unknown as Pick<
      Kafka,
      "consumer" | "admin" | "producer"
    >,
    events,
    consumers,
    /** What the next sends or commits do, in order ("fail", "hang"); then they work. */
    faults,
    /** The committed records of `topic`, in commit order. */
    records: (topic: string) => committed.get(topic) ?? [],
    /** The group's committed offset of a partition (the next to read), if any. */
    groupOffset: (group: string, topic: string, partition: number) =>
      groupOffsets.get(offsetKey(group, topic, partition)),
  };
}

/** Messages at `offsets`, each keyed and valued `<prefix><offset>`. */
export function messagesAt(offsets: number[], prefix = "r"): KafkaMessage[] {
  return offsets.map((o) => ({
    offset: String(o),
    key: Buffer.from(`${prefix}${o}`),
    value: Buffer.from(`${prefix}${o}`),
    headers: {},
    timestamp: "0",
    attributes: 0,
  } as KafkaMessage));
}
