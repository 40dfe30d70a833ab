/**
 * The repairs of shared/kafka/patches/ to @platformatic/kafka's
 * transactions, each proven on a real broker next to the plain library
 * failing where it fails:
 *
 * - a new producer reusing a transactional id fences the old one (the
 *   plain library is refused with PRODUCER_FENCED: it sends InitProducerId
 *   with producer id 0 and epoch 0);
 * - a transaction's offsets are pending while it is open: the next owner's
 *   offset fetch waits for its end, commit or abort, and then reads what
 *   it left (the plain library reads the offset from before at once), and
 *   a wait is bounded;
 * - on a secured broker, a principal with Write on its topic and
 *   transactional id and nothing on the cluster sends in a transaction
 *   (the plain library's AddPartitionsToTxn v5 is refused with
 *   CLUSTER_AUTHORIZATION_FAILED). That broker is one this test starts
 *   itself (a one-node local Kafka with SASL_SSL and ACLs), so it runs where
 *   the suite's broker is the local JVM, and says so where it is not.
 */
import assert from "node:assert/strict";
import {
  Consumer,
  FetchIsolationLevels,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  Producer,
} from "@platformatic/kafka";
import {
  clientOptions,
  createAdmin,
  createConsumer,
  createProducer,
  type KafkaConsumer,
} from "../shared/kafka/client.ts";
import type { KafkaConnection } from "../shared/kafka/connection.ts";
import type { AclBinding } from "../shared/kafka/acls.ts";
import { applyAcls } from "../shared/kafka/acls.ts";
import {
  UnstableOffsetsTimeoutError,
  type UnstableOffsetsWait,
} from "../shared/kafka/patches/stable_offsets.ts";
import { startLocalKafka } from "../shared/dev/broker/local_kafka.ts";
import { adminConnection, principalConnection } from "../shared/dev/cluster_setup.ts";
import { integration, testBrokers, testLogger, uniqueName } from "./harness.ts";
import { runKafkaTool } from "./pipeline.ts";

const plainConnection = (): KafkaConnection => ({ brokers: testBrokers(), clientId: "patches" });

/** Every protocol error name in `err` and its causes, e.g. ["PRODUCER_FENCED"]. */
function apiIds(err: unknown): string[] {
  const e = err as { apiId?: string; errors?: unknown[]; cause?: unknown };
  return [
    ...(e?.apiId ? [e.apiId] : []),
    ...(e?.errors ?? []).flatMap(apiIds),
    ...(e?.cause ? apiIds(e.cause) : []),
  ];
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

async function createTopic(conn: KafkaConnection, topic: string, partitions = 1): Promise<void> {
  const admin = createAdmin(conn);
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

function transactional(conn: KafkaConnection, transactionalId: string) {
  return createProducer(conn, { transactionalId, idempotent: true, acks: -1, timeout: 10_000 });
}

/** The plain library's producer, as client.ts built it before the repairs. */
function plainTransactional(conn: KafkaConnection, transactionalId: string) {
  return new Producer({
    ...clientOptions(conn),
    transactionalId,
    idempotent: true,
    acks: -1,
    timeout: 10_000,
  });
}

/** A group consumer's stream from the committed offsets (the earliest where none), read_committed. */
function consumeCommitted(consumer: KafkaConsumer, topic: string) {
  return consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: false,
    maxWaitTime: 100,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
}

/**
 * The committed values on partition 0 of `topic`, read_committed from the
 * start until `last` (aborted ones before it would show: they come first).
 */
async function committedValuesUntil(
  conn: KafkaConnection,
  topic: string,
  last: string,
): Promise<string[]> {
  const consumer = createConsumer(conn, { groupId: uniqueName("patches-read") });
  try {
    const stream = await consumeCommitted(consumer, topic);
    const values: string[] = [];
    try {
      for await (const m of stream) {
        const value = m.value!.toString();
        values.push(value);
        if (value === last) break;
      }
    } finally {
      await stream.close();
    }
    return values;
  } finally {
    await consumer.close(true);
  }
}

Deno.test(
  "a new producer reusing a transactional id fences the old one and aborts its open transaction; the plain library is refused",
  integration,
  async () => {
    const conn = plainConnection();
    const topic = uniqueName("patches-reuse");
    const transactionalId = uniqueName("patches-reuse-tx");
    await createTopic(conn, topic);
    const old = transactional(conn, transactionalId);
    const next = transactional(conn, transactionalId);
    const plain = plainTransactional(conn, transactionalId);
    try {
      const open = await old.beginTransaction();
      await open.send({ messages: [{ topic, partition: 0, value: Buffer.from("old, open") }] });

      const tx = await next.beginTransaction();
      assert.equal(next.producerId, old.producerId);
      assert.ok(next.producerEpoch! > old.producerEpoch!, "the epoch is bumped");
      await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from("next") }] });
      await tx.commit();

      const fenced = apiIds(await rejection(open.commit()));
      assert.ok(
        fenced.some((id) => id === "PRODUCER_FENCED" || id === "INVALID_PRODUCER_EPOCH"),
        `the old producer is fenced: ${fenced}`,
      );
      assert.deepEqual(await committedValuesUntil(conn, topic, "next"), ["next"]);

      // The plain library asks InitProducerId as producer 0, epoch 0: refused.
      const refused = apiIds(await rejection(plain.beginTransaction()));
      assert.ok(refused.includes("PRODUCER_FENCED"), `${refused}`);
    } finally {
      await Promise.all([old, next, plain].map((p) => p.close(true).catch(() => {})));
    }
  },
);

Deno.test(
  "an open transaction's offsets make the next owner's fetch wait for its commit or abort, boundedly; the plain library reads past them",
  integration,
  async () => {
    const conn = plainConnection();
    const topic = uniqueName("patches-stable");
    const groupId = uniqueName("patches-stable-g");
    await createTopic(conn, topic);
    const seed = createProducer(conn, { idempotent: true });
    await seed.send({
      messages: [0, 1, 2, 3, 4, 5].map((i) => ({
        topic,
        partition: 0,
        value: Buffer.from(`${i}`),
      })),
    });
    await seed.close();

    const owner = createConsumer(conn, { groupId });
    const nextOwner = createConsumer(conn, { groupId });
    const plain = new Consumer({ ...clientOptions(conn), groupId });
    const producer = transactional(conn, uniqueName("patches-stable-tx"));
    const waits: UnstableOffsetsWait[] = [];
    nextOwner.stableOffsets.onWait = (w) => waits.push(w);
    const stream = await consumeCommitted(owner, topic);
    const partitions = { topics: [{ topic, partitions: [0] }] };
    const committed = async (c: KafkaConsumer) =>
      (await c.listCommittedOffsets(partitions)).get(topic)![0];
    try {
      const consumed: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
      for await (const m of stream) if (consumed.push(m) === 5) break;

      /** Opens a transaction committing the offset after `consumed[i]`, then asks as the next owner. */
      const pendingWhileOpen = async (i: number) => {
        const tx = await producer.beginTransaction();
        await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from(`out ${i}`) }] });
        await tx.addConsumer(owner);
        await tx.addOffset(consumed[i]);
        waits.length = 0;
        let settled = false;
        const asked = committed(nextOwner).finally(() => settled = true);
        await new Promise((r) => setTimeout(r, 1_500));
        assert.equal(settled, false, "the stable fetch waits while the transaction is open");
        assert.ok(waits.length >= 2, `${waits.length} waits reported`);
        assert.deepEqual(waits[0].partitions, [{ topic, partition: 0 }]);
        return { tx, asked };
      };

      const first = await pendingWhileOpen(2);
      assert.equal(await committed(plain), -1n, "the plain library reads the offset from before");
      await first.tx.commit();
      assert.equal(await first.asked, 3n, "after the commit: the committed offset");

      const second = await pendingWhileOpen(4);
      await second.tx.abort();
      assert.equal(await second.asked, 3n, "after the abort: the offset from before");

      // A transaction left open: one clear error after the limit, not the library's retries of it.
      nextOwner.stableOffsets.maxWaitMs = 1_000;
      const open = await producer.beginTransaction();
      await open.addConsumer(owner);
      await open.addOffset(consumed[4]);
      const started = Date.now();
      const err = await rejection(committed(nextOwner));
      const took = Date.now() - started;
      await open.abort();
      assert.ok(err instanceof UnstableOffsetsTimeoutError, `${err}`);
      assert.match(err.message, /stayed unstable for \d+ ms/);
      assert.ok(took >= 1_000 && took < 5_000, `gave up after ${took} ms`);
    } finally {
      await stream.close().catch(() => {});
      await Promise.all(
        [owner, nextOwner, plain].map((c) => c.close(true).catch(() => {})),
      );
      await producer.close(true).catch(() => {});
    }
  },
);

/**
 * The group's committed offset of each partition of `topic`, as Kafka's own
 * `kafka-consumer-groups --describe --offsets` prints them ("-" for none):
 * evidence that shares no code with the client under test.
 */
async function groupOffsetsByJavaTool(group: string, topic: string): Promise<Map<number, string>> {
  const run = await runKafkaTool("kafka-consumer-groups", [
    "--bootstrap-server",
    testBrokers().join(","),
    "--describe",
    "--offsets",
    "--group",
    group,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const rows = run.stdout.split("\n").map((l) => l.trim().split(/\s+/));
  const header = rows.find((cols) => cols[0] === "GROUP" && cols.includes("CURRENT-OFFSET"));
  assert.ok(header, run.stdout);
  const [t, p, o] = ["TOPIC", "PARTITION", "CURRENT-OFFSET"].map((h) => header.indexOf(h));
  return new Map(
    rows.filter((cols) => cols[t] === topic).map((cols) => [Number(cols[p]), cols[o]]),
  );
}

Deno.test(
  "one transaction commits every partition's offset in one TxnOffsetCommit; " +
    "the plain library's concurrent addOffset calls commit one partition",
  integration,
  async () => {
    const conn = plainConnection();
    const topic = uniqueName("patches-offsets");
    await createTopic(conn, topic, 3);
    const seed = createProducer(conn, { idempotent: true });
    await seed.send({
      messages: [0, 1, 2].flatMap((partition) =>
        [0, 1].map((i) => ({ topic, partition, value: Buffer.from(`${partition}-${i}`) }))
      ),
    });
    await seed.close();

    /** Consumes the six records as `groupId`; returns the last of each partition, and the consumer. */
    const lastOfEachPartition = async (groupId: string) => {
      const consumer = createConsumer(conn, { groupId });
      const stream = await consumeCommitted(consumer, topic);
      const last = new Map<number, Message<Buffer, Buffer, Buffer, Buffer>>();
      let n = 0;
      for await (const m of stream) {
        last.set(m.partition, m);
        if (++n === 6) break;
      }
      await stream.close();
      return { consumer, last: [...last.values()] };
    };

    const repairedGroup = uniqueName("patches-offsets-g");
    const repaired = await lastOfEachPartition(repairedGroup);
    const producer = transactional(conn, uniqueName("patches-offsets-tx"));
    const plainGroup = uniqueName("patches-offsets-plain-g");
    const plain = await lastOfEachPartition(plainGroup);
    const plainProducer = plainTransactional(conn, uniqueName("patches-offsets-plain-tx"));
    try {
      assert.equal(repaired.last.length, 3);
      const tx = await producer.beginTransaction();
      await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from("out") }] });
      await tx.addConsumer(repaired.consumer);
      await producer.commitOffsets(repaired.last);
      await tx.commit();
      assert.deepEqual(
        await groupOffsetsByJavaTool(repairedGroup, topic),
        new Map([[0, "2"], [1, "2"], [2, "2"]]),
      );

      // The library runs the three calls as one: one partition's offset is committed.
      const ptx = await plainProducer.beginTransaction();
      await ptx.addConsumer(plain.consumer);
      await Promise.all(plain.last.map((m) => ptx.addOffset(m)));
      await ptx.commit();
      const plainOffsets = [...(await groupOffsetsByJavaTool(plainGroup, topic)).values()];
      assert.equal(plainOffsets.filter((o) => o === "2").length, 1, `${plainOffsets}`);
    } finally {
      await Promise.all(
        [repaired.consumer, plain.consumer].map((c) => c.close(true).catch(() => {})),
      );
      await Promise.all([producer, plainProducer].map((p) => p.close(true).catch(() => {})));
    }
  },
);

const localJvm = Deno.env.get("TEST_BROKER_KIND") === "local";

Deno.test({
  name: "on a secured broker a principal without cluster ACLs sends in a transaction; " +
    "the plain library is refused" +
    (localJvm
      ? ""
      : " (skipped: it starts its own secured local Kafka, and this run's broker is not the local JVM)"),
  ignore: !localJvm,
  ...integration,
  fn: async () => {
    const principal = "txn_client";
    const cluster = await startLocalKafka({
      log: testLogger("secured-broker"),
      secure: { principals: [principal] },
      heapMb: 384,
    });
    try {
      const topic = "patches-acl";
      const idPrefix = "patches-acl-tx";
      const admin = await adminConnection(cluster);
      await createTopic(admin, topic);
      const grant = (
        resourceType: AclBinding["resourceType"],
        resourceName: string,
        operation: AclBinding["operation"],
        patternType: AclBinding["patternType"] = "LITERAL",
      ): AclBinding => ({
        principal: `User:${principal}`,
        resourceType,
        resourceName,
        patternType,
        operation,
      });
      const aclAdmin = createAdmin(admin);
      try {
        // What a transactional client needs, and nothing on the cluster.
        await applyAcls(aclAdmin, [
          grant("TOPIC", topic, "WRITE"),
          grant("TOPIC", topic, "DESCRIBE"),
          grant("TRANSACTIONAL_ID", idPrefix, "WRITE", "PREFIXED"),
          grant("TRANSACTIONAL_ID", idPrefix, "DESCRIBE", "PREFIXED"),
          grant("GROUP", "patches-acl-group", "READ"),
        ]);
      } finally {
        await aclAdmin.close();
      }
      const conn = await principalConnection(cluster, principal);

      const plain = plainTransactional(conn, `${idPrefix}-plain`);
      try {
        const tx = await plain.beginTransaction();
        const refused = apiIds(
          await rejection(tx.send({ messages: [{ topic, value: Buffer.from("plain") }] })),
        );
        assert.ok(refused.includes("CLUSTER_AUTHORIZATION_FAILED"), `${refused}`);
      } finally {
        await plain.close(true).catch(() => {});
      }

      const producer = transactional(conn, `${idPrefix}-repaired`);
      try {
        const tx = await producer.beginTransaction();
        await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from("repaired") }] });
        await tx.commit();
      } finally {
        await producer.close(true).catch(() => {});
      }
      assert.deepEqual(await committedValuesUntil(admin, topic, "repaired"), ["repaired"]);
    } finally {
      await cluster.stop(10_000);
    }
  },
});
