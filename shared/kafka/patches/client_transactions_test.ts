import assert from "node:assert/strict";
import { Producer } from "@platformatic/kafka";
import {
  initProducerIdentity,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TransactionsProducer,
  txnOffsetTopics,
  useClientAddPartitions,
} from "./client_transactions.ts";

Deno.test("AddPartitionsToTxn drops to v3 only from above it, where the broker takes v3", () => {
  const kafka44 = { minVersion: 0, maxVersion: 5 };
  assert.equal(useClientAddPartitions(5, kafka44), true);
  assert.equal(useClientAddPartitions(4, kafka44), true);
  assert.equal(useClientAddPartitions(3, kafka44), false);
  assert.equal(useClientAddPartitions(2, { minVersion: 0, maxVersion: 2 }), false);
  assert.equal(useClientAddPartitions(5, { minVersion: 4, maxVersion: 5 }), false);
  assert.equal(useClientAddPartitions(5, undefined), false);
});

Deno.test("InitProducerId asks as a new producer unless the call or the options name one", () => {
  assert.deepEqual(initProducerIdentity({}, {}), {
    producerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
  });
  assert.deepEqual(initProducerIdentity({}, {}), { producerId: -1n, producerEpoch: -1 });
  assert.deepEqual(initProducerIdentity({ producerId: 7n, producerEpoch: 2 }, { producerId: 1n }), {
    producerId: 7n,
    producerEpoch: 2,
  });
  assert.deepEqual(initProducerIdentity({}, { producerId: 1n, producerEpoch: 0 }), {
    producerId: 1n,
    producerEpoch: 0,
  });
});

Deno.test("a transactions producer is the library's producer, built without connecting", async () => {
  const producer = new TransactionsProducer({
    clientId: "t",
    bootstrapBrokers: ["127.0.0.1:1"],
    transactionalId: "x",
    idempotent: true,
  });
  assert.ok(producer instanceof Producer);
  await producer.close();
});

Deno.test("one TxnOffsetCommit carries every partition past its last record, by topic", () => {
  const consumer = { groupId: "g", generationId: 3, memberId: "m-1", coordinatorId: 1 };
  const record = (topic: string, partition: number, offset: bigint, member = consumer) => ({
    topic,
    partition,
    offset,
    metadata: { consumer: member },
  });
  const epochs: Record<string, number> = { "a/0": 5, "a/2": 6 };
  const topics = txnOffsetTopics(
    [record("a", 0, 9n), record("b", 1, 0n), record("a", 2, 41n)],
    (t, p) => epochs[`${t}/${p}`],
  );
  const entry = (
    partitionIndex: number,
    committedOffset: bigint,
    committedLeaderEpoch: number,
  ) => ({
    partitionIndex,
    committedOffset,
    committedLeaderEpoch,
    committedMetadata: null,
  });
  assert.deepEqual(topics, [
    { name: "a", partitions: [entry(0, 10n, 5), entry(2, 42n, 6)] },
    { name: "b", partitions: [entry(1, 1n, -1)] },
  ]);
  // Records of another generation cannot share the request.
  assert.throws(
    () =>
      txnOffsetTopics(
        [record("a", 0, 1n), record("a", 1, 1n, { ...consumer, generationId: 4 })],
        () => 0,
      ),
    /two group members/,
  );
});
