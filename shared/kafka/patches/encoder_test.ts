import assert from "node:assert/strict";
import KafkaDecoder from "kafkajs/src/protocol/decoder.js";
import KafkaEncoder from "kafkajs/src/protocol/encoder.js";
import {
  installFastEncoder,
  isFastVarLong,
  sizeOfVarLong,
  writeUVarIntInto,
  writeVarLongInto,
} from "./encoder.ts";

// kafkajs's own classes, untyped: the tests read back with its Decoder.
type Decoder = {
  readVarInt(): number;
  readUVarInt(): number;
  readVarLong(): { toString(): string };
  readVarIntBytes(): Uint8Array | null;
};
const Decoder = KafkaDecoder as unknown as new (buf: Buffer) => Decoder;
type Encoder = {
  writeVarInt(v: number): Encoder;
  writeUVarInt(v: number): Encoder;
  writeVarLong(v: unknown): Encoder;
  writeVarIntBytes(v: Buffer): Encoder;
  buffer: Buffer;
};
const Encoder = KafkaEncoder as unknown as {
  new (): Encoder;
  sizeOfVarLong(v: unknown): number;
};

const INTS = [0, 1, -1, 63, -64, 64, 127, 128, 300, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 31 - 1];
const LONGS = [
  ...INTS,
  -(2 ** 31),
  2 ** 31,
  2 ** 32 + 5,
  -(2 ** 40) - 3,
  1_763_700_000_000,
  -1_763_700_000_000,
  2 ** 51 - 1,
  -(2 ** 51) + 1,
];

Deno.test("writeUVarIntInto writes LEB128", () => {
  const buf = new Uint8Array(5);
  assert.equal(writeUVarIntInto(buf, 0, 300), 2);
  assert.deepEqual([...buf.subarray(0, 2)], [0xac, 0x02]);
  assert.equal(writeUVarIntInto(buf, 0, 0), 1);
  assert.equal(buf[0], 0);
  // Taken as unsigned 32 bits, like kafkajs.
  assert.equal(writeUVarIntInto(buf, 0, -1), 5);
  assert.deepEqual([...buf], [0xff, 0xff, 0xff, 0xff, 0x0f]);
});

Deno.test("writeVarLongInto: kafkajs's Decoder reads back every value, in the predicted size", () => {
  for (const v of LONGS) {
    const buf = Buffer.alloc(10);
    const end = writeVarLongInto(buf, 0, v);
    assert.equal(end, sizeOfVarLong(v), `size of ${v}`);
    assert.equal(new Decoder(buf).readVarLong().toString(), String(v));
  }
  assert.equal(isFastVarLong(2 ** 51), false);
  assert.equal(isFastVarLong(1.5), false);
  assert.equal(isFastVarLong("5"), false);
});

Deno.test("installFastEncoder: records encode to what kafkajs decodes, slow paths kept", () => {
  installFastEncoder();
  installFastEncoder(); // idempotent
  const payload = Buffer.from("an Avro value");
  const e = new Encoder();
  for (const v of INTS) e.writeVarInt(v);
  for (const v of INTS) e.writeUVarInt(v >>> 0);
  for (const v of LONGS) e.writeVarLong(v);
  e.writeVarLong("9007199254740993"); // beyond doubles: kafkajs's Long path
  e.writeVarIntBytes(payload);
  const d = new Decoder(e.buffer);
  for (const v of INTS) assert.equal(d.readVarInt(), v);
  for (const v of INTS) assert.equal(d.readUVarInt(), v >>> 0);
  for (const v of LONGS) assert.equal(d.readVarLong().toString(), String(v));
  assert.equal(d.readVarLong().toString(), "9007199254740993");
  assert.deepEqual(Buffer.from(d.readVarIntBytes()!), payload);
  for (const v of LONGS) assert.equal(Encoder.sizeOfVarLong(v), sizeOfVarLong(v));
  assert.equal(Encoder.sizeOfVarLong("9007199254740993"), 8); // zigzag 2^54+2: 55 bits
});
