/**
 * The records the product's code sees, apart from any Kafka client's own
 * types: a consumed record with its offset as a decimal string and its
 * headers by name ({@linkcode ConsumedMessage}), and a record to send with
 * string or byte key, value and headers ({@linkcode OutgoingMessage}). The
 * routing, effect and retry code is written against these; this module turns
 * @platformatic/kafka's messages into them and back.
 *
 * @example
 * ```ts
 * import { messagesToProduce } from "./records.ts";
 * const out = messagesToProduce([{ topic: "t", messages: [{ key: "k", value: "v", headers: { h: "1" } }] }]);
 * out[0].key?.toString(); // "k"
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import type { Message, MessageToProduce } from "@platformatic/kafka";

/** A consumed record: bytes, the offset as a decimal string, headers by name. */
export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Epoch ms as a decimal string. */
  timestamp: string;
  offset: string;
  headers: Record<string, Buffer>;
}

/** A record to send; strings are sent as UTF-8. */
export interface OutgoingMessage {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: Record<string, Uint8Array | string>;
  partition?: number;
}

/** Records for one topic. */
export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

/** A consumed message as the product's code reads it. Pure. */
export function consumedMessage(
  m: Pick<Message, "key" | "value" | "offset" | "timestamp" | "headers">,
): ConsumedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of m.headers) headers[k.toString()] = v;
  return {
    // The library gives an absent key or value as an empty buffer.
    key: m.key?.length ? m.key : null,
    value: m.value?.length ? m.value : null,
    timestamp: String(m.timestamp),
    offset: String(m.offset),
    headers,
  };
}

const bytes = (v: Uint8Array | string): Buffer =>
  typeof v === "string" ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** The library's records for `topicMessages`. Pure. */
export function messagesToProduce(topicMessages: readonly TopicMessages[]): MessageToProduce[] {
  const out: MessageToProduce[] = [];
  for (const { topic, messages } of topicMessages) {
    for (const m of messages) {
      // Header names as bytes too: the library writes a map's keys as they are.
      const headers = new Map<Buffer, Buffer>();
      for (const [k, v] of Object.entries(m.headers ?? {})) headers.set(Buffer.from(k), bytes(v));
      out.push({
        topic,
        ...(m.key === null || m.key === undefined ? {} : { key: bytes(m.key) }),
        ...(m.value === null ? {} : { value: bytes(m.value) }),
        ...(m.partition === undefined ? {} : { partition: m.partition }),
        headers,
      });
    }
  }
  return out;
}
