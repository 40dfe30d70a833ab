/**
 * Raw orders for the benchmark, from the product's own generator: a backlog
 * produced as fast as a batched producer can, or a steady rate whose
 * creation times are kept for latency.
 *
 * @example
 * ```ts
 * import { meanOrderBytes } from "./orders.ts";
 * meanOrderBytes(1000); // about 400: bytes of one JSON order on the raw topic
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { createProducer } from "../../kafka/client.ts";
import type { KafkaConnection } from "../../kafka/connection.ts";
import { DEFAULT_CATALOG } from "../../orders/catalog.ts";
import { createOrderGenerator, type OrderGenerator } from "../../orders/generate.ts";

/** Inventory and delivery orders, half and half, all valid. */
export const BENCH_MIX = { inventory: 1, delivery: 1 } as const;

/** A generator of valid orders of the bench's mix; `createdAt` is the call's time. */
export function benchGenerator(seed: number): OrderGenerator {
  return createOrderGenerator({ seed, mix: { ...BENCH_MIX }, catalog: DEFAULT_CATALOG });
}

/** The mean size in bytes of a raw order as the pipeline's input carries it (JSON). */
export function meanOrderBytes(sample = 1000): number {
  const g = benchGenerator(7);
  const encoder = new TextEncoder();
  let bytes = 0;
  for (let i = 0; i < sample; i++) bytes += encoder.encode(JSON.stringify(g.next())).length;
  return Math.round(bytes / sample);
}

/** Produces `count` raw orders to `topic` in batches of 1000 (idempotent, acks=all). */
export async function produceBacklog(
  connection: KafkaConnection,
  topic: string,
  count: number,
  seed: number,
): Promise<void> {
  const g = benchGenerator(seed);
  const producer = createProducer(connection, { idempotent: true, acks: -1 });
  try {
    for (let sent = 0; sent < count; sent += 1000) {
      const messages = Array.from({ length: Math.min(1000, count - sent) }, () => {
        const o = g.next();
        return { topic, key: Buffer.from(o.orderId), value: Buffer.from(JSON.stringify(o)) };
      });
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
}

/**
 * Produces orders at `rate` per second for `seconds`, every 10 ms what is
 * due. Returns each inventory order's creation time (epoch ms) by id, and
 * how many orders were sent.
 */
export async function produceAtRate(
  connection: KafkaConnection,
  topic: string,
  options: { rate: number; seconds: number; seed: number },
): Promise<{ createdAt: Map<string, number>; sent: number; seconds: number }> {
  const g = benchGenerator(options.seed);
  const createdAt = new Map<string, number>();
  const producer = createProducer(connection, { idempotent: true, acks: -1 });
  const total = Math.round(options.rate * options.seconds);
  const t0 = performance.now();
  let sent = 0;
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * options.rate));
      if (due > sent) {
        const messages = Array.from({ length: due - sent }, () => {
          const o = g.next();
          if (o.type === "inventory") createdAt.set(o.orderId, Date.parse(String(o.createdAt)));
          return { topic, key: Buffer.from(o.orderId), value: Buffer.from(JSON.stringify(o)) };
        });
        await producer.send({ messages });
        sent = due;
      } else {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  } finally {
    await producer.close();
  }
  return { createdAt, sent, seconds: (performance.now() - t0) / 1000 };
}
