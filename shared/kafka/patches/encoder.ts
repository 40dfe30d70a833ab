/**
 * Faster record encoding for kafkajs producers under Deno.
 *
 * kafkajs 2.2.4 writes every varint of every record (its length, timestamp
 * and offset deltas, key and value lengths, header counts) by building a
 * JavaScript array and turning it into a new `Buffer`, and every varlong
 * through its 64-bit `Long` emulation; bytes are appended with
 * `Buffer#copy`. Under Deno's Node compatibility layer each small `Buffer`
 * costs a `FastBuffer` construction: profiled, the routing producer spent
 * about a fifth of its CPU encoding produce requests, most of it there.
 *
 * {@link writeUVarIntInto} and {@link writeVarLongInto} write the same bytes
 * straight into the encoder's buffer; {@link installFastEncoder} puts them
 * (and `Uint8Array#set` for appends) on kafkajs's `Encoder` prototype, once
 * per process. The wire format is unchanged: the tests decode what they
 * write with kafkajs's own `Decoder`.
 *
 * @example
 * ```ts
 * import { writeUVarIntInto } from "./encoder.ts";
 * const buf = new Uint8Array(5);
 * writeUVarIntInto(buf, 0, 300); // 2: bytes 0xac 0x02
 * ```
 * @module
 */
// Not exported by kafkajs; the very module it loads (one instance per process).
import KafkaEncoder from "kafkajs/src/protocol/encoder.js";

/** Bytes a varlong can take (64 bits, 7 per byte). */
const MAX_VARLONG_BYTES = 10;
/** Beyond this a zigzagged double is no longer exact; kafkajs's own path takes over. */
const FAST_LIMIT = 2 ** 51;

/**
 * Writes `value` as an unsigned 32-bit LEB128 varint at `offset` (kafkajs's
 * `writeUVarInt`: the value is taken as `value >>> 0`); returns the new
 * offset. `buf` must have 5 bytes free.
 */
export function writeUVarIntInto(buf: Uint8Array, offset: number, value: number): number {
  let v = value >>> 0;
  while (v > 0x7f) {
    buf[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[offset++] = v;
  return offset;
}

/** Whether {@link writeVarLongInto} takes `value` exactly. */
export function isFastVarLong(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && Math.abs(value) < FAST_LIMIT;
}

/** The zigzag encoding of a 64-bit signed integer, for values {@link isFastVarLong} accepts. */
function zigZag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/**
 * Writes `value` (an integer of magnitude below 2^51) as a zigzag varlong at
 * `offset`; returns the new offset. `buf` must have 10 bytes free.
 */
export function writeVarLongInto(buf: Uint8Array, offset: number, value: number): number {
  let v = zigZag(value);
  while (v > 0x7f) {
    buf[offset++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[offset++] = v;
  return offset;
}

/** Bytes {@link writeVarLongInto} writes for `value`. */
export function sizeOfVarLong(value: number): number {
  let v = zigZag(value);
  let bytes = 1;
  while (v > 0x7f) {
    bytes++;
    v = Math.floor(v / 0x80);
  }
  return bytes;
}

interface Encoder {
  buf: Uint8Array;
  offset: number;
  ensureAvailable(length: number): void;
}

interface EncoderClass {
  sizeOfVarLong(value: unknown): number;
  prototype: Encoder & {
    writeUVarInt(value: number): Encoder;
    writeVarLong(value: unknown): Encoder;
    writeBufferInternal(buffer: Uint8Array): void;
  };
}

let installed = false;

/** Installs the fast paths on kafkajs's Encoder once per process (install.ts does it). */
export function installFastEncoder(): void {
  if (installed) return;
  const Encoder = KafkaEncoder as unknown as EncoderClass;
  const proto = Encoder.prototype;
  const originalWriteVarLong = proto.writeVarLong;
  const originalSizeOfVarLong = Encoder.sizeOfVarLong;
  if (
    typeof proto.writeUVarInt !== "function" || typeof originalWriteVarLong !== "function" ||
    typeof proto.writeBufferInternal !== "function" || typeof originalSizeOfVarLong !== "function"
  ) {
    throw new Error(
      "kafkajs changed: its Encoder is not as expected; review shared/kafka/patches/encoder.ts",
    );
  }
  proto.writeUVarInt = function (this: Encoder, value: number) {
    this.ensureAvailable(5);
    this.offset = writeUVarIntInto(this.buf, this.offset, value);
    return this;
  };
  proto.writeVarLong = function (this: Encoder, value: unknown) {
    if (!isFastVarLong(value)) return originalWriteVarLong.call(this, value);
    this.ensureAvailable(MAX_VARLONG_BYTES);
    this.offset = writeVarLongInto(this.buf, this.offset, value);
    return this;
  };
  proto.writeBufferInternal = function (this: Encoder, buffer: Uint8Array) {
    this.ensureAvailable(buffer.length);
    this.buf.set(buffer, this.offset);
    this.offset += buffer.length;
  };
  Encoder.sizeOfVarLong = (value: unknown) =>
    isFastVarLong(value) ? sizeOfVarLong(value) : originalSizeOfVarLong.call(Encoder, value);
  installed = true;
}
