import assert from "node:assert/strict";
import { Producer } from "@platformatic/kafka";
import {
  initProducerIdentity,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TransactionsProducer,
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
