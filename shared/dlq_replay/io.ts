/**
 * The replayer's I/O on Kafka and the registry: the transactional producer
 * of a DLQ's replays,
 * sending one batch of replays with their ledger entries in one
 * transaction, and decoding Avro values through the registry. The
 * decisions (what is the end, what to send, which records) are in the pure
 * modules beside it; this is covered by tests/dlq_replayer_test.ts on a
 * real broker.
 *
 * @example
 * ```ts
 * import { replayEntries } from "./io.ts";
 * const connection = { brokers: ["127.0.0.1:9092"], clientId: "dlq-replayer" };
 * // const producer = await openTransactionalProducer(connection, "dlq-replayer-orders-dlq"); // ../kafka/client.ts
 * // await replayEntries(producer, "orders-dlq", entries); // one transaction
 * // await producer.close();
 * ```
 * @module
 */
import { registryClient, wireDecoder } from "../kafka/avro_codec.ts";
import { describeRegistryFailure, type RegistryConnection } from "../kafka/registry_connection.ts";
import type { DlqEntry } from "./entry.ts";
import {
  type LedgerEntry,
  ledgerEntry,
  ledgerTopicName,
  type ReplayMessage,
  replayMessage,
} from "./ledger.ts";
import type { KafkaProducer } from "../kafka/client.ts";
import { messagesToProduce, type OutgoingMessage } from "../kafka/records.ts";

/**
 * Sends replayed records and their ledger entries in one transaction:
 * all of them are committed, or (on any error, which is rethrown) none.
 */
export async function sendReplayBatch(
  producer: KafkaProducer,
  replays: readonly ReplayMessage[],
  ledgerTopic: string,
  ledger: readonly LedgerEntry[],
): Promise<void> {
  const byTopic = new Map<string, OutgoingMessage[]>();
  for (const r of replays) {
    const list = byTopic.get(r.topic) ?? [];
    list.push({ key: r.key, value: r.value, headers: r.headers });
    byTopic.set(r.topic, list);
  }
  const transaction = await producer.beginTransaction();
  try {
    await transaction.send({
      messages: messagesToProduce([
        ...[...byTopic].map(([topic, messages]) => ({ topic, messages })),
        { topic: ledgerTopic, messages: ledger.map((e) => ({ key: e.key, value: e.value })) },
      ]),
    });
    await transaction.commit();
  } catch (err) {
    await transaction.abort().catch(() => {});
    throw err;
  }
}

/** Decodes Confluent-framed Avro values through the registry `conn` names; never throws. */
export function avroDecoder(
  conn: RegistryConnection,
): (value: Uint8Array) => Promise<{ decoded: unknown } | { error: string }> {
  const decode = wireDecoder(registryClient(conn));
  return async (value) => {
    try {
      return { decoded: await decode(value) };
    } catch (err) {
      return {
        error: describeRegistryFailure(conn, err)?.message ??
          `registry ${conn.url}: ${(err as Error).message}`,
      };
    }
  };
}

/**
 * Replays `entries` of `dlqTopic` in one transaction with their ledger
 * entries (see {@link sendReplayBatch}); returns the replayed messages.
 * The one way the replayer and the dashboard replay.
 */
export async function replayEntries(
  producer: KafkaProducer,
  dlqTopic: string,
  entries: readonly DlqEntry[],
  at: Date = new Date(),
): Promise<ReplayMessage[]> {
  const messages = entries.map((e) => replayMessage(dlqTopic, e, at)!);
  const ledger = entries.map((e, i) => ledgerEntry(e.partition, e.offset, messages[i].topic, at));
  await sendReplayBatch(producer, messages, ledgerTopicName(dlqTopic), ledger);
  return messages;
}
