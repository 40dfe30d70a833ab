/**
 * The two phases of `deno task verify`, apart so that something can run
 * between them (a chaos mode that kills processes while the orders flow):
 * {@linkcode sendTaggedOrders} puts a run's orders on the raw topic,
 * {@linkcode auditUntilComplete} reads every output back (Kafka through the
 * Java reader, the store with plain SQL) and audits it until nothing is
 * missing or the deadline passes.
 *
 * @example
 * ```ts
 * import { auditUntilComplete, sendTaggedOrders } from "./verify_run.ts";
 * import { taggedOrders } from "./tagged_orders.ts";
 * const run = taggedOrders("abc123", 10);
 * // await sendTaggedOrders(connection, "orders", run);
 * // ... kill and restart things here ...
 * // const report = await auditUntilComplete(run, sources, { deadline: Date.now() + 120_000 });
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { createProducer } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { DLQ_HEADERS } from "../retry/dead_letter.ts";
import type { Logger } from "../platform/log.ts";
import {
  audit,
  type AuditReport,
  type Observed,
  type ObservedDeadLetter,
  type ObservedDeliveryRecord,
  type ObservedInventoryRecord,
  type ObservedStatusEvent,
} from "./audit.ts";
import type { CommittedReader, CommittedRecord } from "./committed_reader.ts";
import type { StoreReader } from "./store_reader.ts";
import type { TaggedRun } from "./tagged_orders.ts";
import { RegistryUnavailableError, type WireDecoder } from "./wire_avro.ts";

/** The topics a run audits, by role. */
export interface VerifyTopics {
  orders: string;
  inventoryOrders: string;
  deliveryOrders: string;
  dlq: string;
  status: string;
}

/** Sends every order of `run` to `topic`, keyed by order id, with an idempotent producer (acks=all). */
export async function sendTaggedOrders(
  connection: KafkaConnection,
  topic: string,
  run: TaggedRun,
): Promise<void> {
  // The client's retries (about 20 s, shared/kafka/client.ts) outlast a node kill of the chaos.
  const producer = createProducer(connection, { idempotent: true, acks: -1 });
  try {
    const messages = run.orders.map((o) => ({
      topic,
      key: Buffer.from(o.orderId),
      value: Buffer.from(o.value),
    }));
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ messages: messages.slice(i, i + 500) });
    }
  } finally {
    await producer.close();
  }
}

const text = (
  bytes: Uint8Array | null,
) => (bytes === null ? null : new TextDecoder().decode(bytes));
const header = (r: CommittedRecord, name: string) =>
  text(r.headers.findLast((h) => h.key === name)?.value ?? null) ?? undefined;

/** Everything read from Kafka so far, decoded; the store is read fresh each round. */
export interface KafkaObservations {
  add(records: readonly CommittedRecord[]): Promise<void>;
  observed(): Omit<Observed, "store">;
  /** Records of the target topics that are no Avro the registry knows (other traffic, or a bug). */
  undecodable: number;
}

/** Turns the reader's records into the audit's observations, by topic role. */
export function kafkaObservations(topics: VerifyTopics, decoder: WireDecoder): KafkaObservations {
  const inventory: ObservedInventoryRecord[] = [];
  const delivery: ObservedDeliveryRecord[] = [];
  const deadLetters: ObservedDeadLetter[] = [];
  const statusEvents: ObservedStatusEvent[] = [];
  const offsets = new Set<string>();
  const self: KafkaObservations = {
    undecodable: 0,
    async add(records) {
      for (const r of records) {
        const at = `${r.topic}/${r.partition}@${r.offset}`;
        // One offset is one record: read twice, it is still once in the topic.
        if (offsets.has(at)) continue;
        offsets.add(at);
        if (r.topic === topics.inventoryOrders || r.topic === topics.deliveryOrders) {
          let v: Record<string, unknown>;
          try {
            if (r.value === null) throw new Error("no value");
            v = await decoder.decode(r.value);
          } catch (err) {
            if (err instanceof RegistryUnavailableError) throw err;
            self.undecodable++;
            continue;
          }
          if (r.topic === topics.inventoryOrders) {
            inventory.push({
              orderId: String(v.orderId),
              lineIndex: Number(v.lineIndex),
              sku: String(v.sku),
              quantity: Number(v.quantity),
              movement: String(v.movement),
              key: text(r.key),
              at,
            });
          } else {
            delivery.push({
              orderId: String(v.orderId),
              customerId: String(v.customerId),
              carrier: String(v.carrier),
              itemCount: Array.isArray(v.items) ? v.items.length : -1,
              key: text(r.key),
              at,
            });
          }
        } else if (r.topic === topics.dlq) {
          // The key is the original record's; the envelope repeats it in a header.
          const orderId = text(r.key) ?? header(r, DLQ_HEADERS.originalKey) ?? "";
          deadLetters.push({ orderId, reason: header(r, DLQ_HEADERS.reason), at });
        } else if (r.topic === topics.status) {
          let e: Record<string, unknown>;
          try {
            e = JSON.parse(text(r.value) ?? "null") ?? {};
          } catch {
            continue;
          }
          const detail = (e.detail ?? {}) as Record<string, unknown>;
          statusEvents.push({
            eventId: String(e.eventId),
            orderId: String(e.orderId ?? text(r.key)),
            source: String(e.source),
            status: String(e.status),
            lineIndex: typeof detail.lineIndex === "number" ? detail.lineIndex : undefined,
            at,
          });
        }
      }
    },
    observed: () => ({ inventory, delivery, deadLetters, statusEvents }),
  };
  return self;
}

export interface AuditSources {
  reader: CommittedReader;
  decoder: WireDecoder;
  store: StoreReader;
  topics: VerifyTopics;
}

/**
 * Reads what arrived since the last round and audits everything read so
 * far, until the audit is complete (nothing lost) or `deadline` (epoch ms)
 * passes; returns the last report either way.
 */
export async function auditUntilComplete(
  run: TaggedRun,
  sources: AuditSources,
  options: { deadline: number; intervalMs?: number; log?: Logger },
): Promise<AuditReport> {
  const kafka = kafkaObservations(sources.topics, sources.decoder);
  for (let round = 1;; round++) {
    await kafka.add(await sources.reader.readMore());
    const store = await sources.store.read(run.prefix, run.skuPrefix);
    const report = audit(run, { ...kafka.observed(), store });
    options.log?.info("audit round", {
      round,
      lost: report.totals.lost,
      duplicated: report.totals.duplicated,
      wrong: report.totals.wrong,
      undecodable: kafka.undecodable,
    });
    if (report.complete || Date.now() >= options.deadline) return report;
    const wait = Math.min(options.intervalMs ?? 1000, Math.max(0, options.deadline - Date.now()));
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
