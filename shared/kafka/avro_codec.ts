/**
 * Avro in the Confluent wire format through a schema registry (ours, or
 * Confluent's): register a subject's schema history at start-up, then encode
 * and decode with each schema fetched once, straight through avsc (the
 * registry client's own `encode`/`decode` cost four Buffers a record).
 *
 * @example
 * ```ts
 * import { createAvroCodec } from "./avro_codec.ts";
 * // const codec = await createAvroCodec({ registry: { url: "http://127.0.0.1:8081" }, subject: "s-value", schemas: [schemaV1, schemaV2] });
 * // const bytes = codec.encode({ ... });
 * ```
 * @module
 */
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Agent } from "node:https";
import type { AvroRecordSchema } from "../orders/schemas.ts";
import {
  describeRegistryFailure,
  type RegistryConnection,
  type RegistryFailureKind,
} from "./registry_connection.ts";

/** The registry cannot be reached, or refused us or a schema; says which and why. */
export class RegistryError extends Error {
  /** Set when the connection is at fault (see client_connection.ts), not a schema. */
  readonly kind?: RegistryFailureKind;
  constructor(message: string, kind?: RegistryFailureKind) {
    super(message);
    this.name = "RegistryError";
    this.kind = kind;
  }
}

/** A client error as a {@linkcode RegistryError}, worded by what failed. */
function registryError(conn: RegistryConnection, err: unknown, otherwise: string): RegistryError {
  const failure = describeRegistryFailure(conn, err);
  return failure
    ? new RegistryError(failure.message, failure.kind)
    : new RegistryError(`${otherwise}: ${(err as Error).message}`);
}

/** Encodes one subject's values with its latest schema; decodes any registered id. */
export interface AvroCodec {
  readonly subject: string;
  /** The id every `encode` writes (the newest of the history). */
  readonly schemaId: number;
  /** The wire bytes of `value` (a `Buffer`, as the client sends); throws when it misfits the schema. */
  encode(value: Record<string, unknown>): Buffer;
  decode(bytes: Uint8Array): Promise<Record<string, unknown>>;
}

/** The part of an avsc type the codec uses. */
interface AvroType {
  encode(value: unknown, buf: Buffer, pos: number): number;
  decode(buf: Buffer, pos: number): { value: unknown; offset: number };
  isValid(value: unknown, opts: { errorHook: (path: string[]) => void }): boolean;
}

/** The Confluent wire format: magic byte 0, the schema id (int32 big-endian), then Avro. */
const HEADER_BYTES = 5;

/**
 * Encodes values of one schema into the wire format, through a scratch
 * buffer kept between calls: one allocation per record (the registry
 * client's `encode` makes four, and each costs under Deno's Buffer).
 */
export function wireEncoder(schemaId: number, type: AvroType): (value: unknown) => Buffer {
  let scratch = Buffer.alloc(0);
  const grow = (size: number) => {
    scratch = Buffer.alloc(size);
    scratch[0] = 0;
    scratch.writeInt32BE(schemaId, 1);
  };
  grow(16 * 1024);
  return (value) => {
    let end: number;
    try {
      end = type.encode(value, scratch, HEADER_BYTES);
      // A negative end is how many bytes were missing.
      if (end < 0) {
        grow(2 * (scratch.length - end));
        end = type.encode(value, scratch, HEADER_BYTES);
      }
    } catch (err) {
      const paths: string[] = [];
      type.isValid(value, { errorHook: (path) => paths.push(path.join(".") || "(the record)") });
      const where = paths.length ? ` (invalid: ${paths.join(", ")})` : "";
      throw new Error(`${(err as Error).message}${where}`);
    }
    const out = Buffer.allocUnsafe(end);
    out.set(new Uint8Array(scratch.buffer, scratch.byteOffset, end));
    return out;
  };
}

/** Reads the schema id of wire-format bytes; throws when they are not framed as such. */
export function wireSchemaId(bytes: Uint8Array): number {
  if (bytes.length < HEADER_BYTES || bytes[0] !== 0) {
    throw new Error(
      `Message encoded with magic byte ${bytes.length ? bytes[0] : "(none)"}, expected 0`,
    );
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(1);
}

/**
 * Decodes wire-format bytes with the writer's schema, fetched from the
 * registry once per id (a failed fetch is not remembered, so an outage
 * heals).
 */
export function wireDecoder(
  registry: SchemaRegistry,
): (bytes: Uint8Array) => Promise<Record<string, unknown>> {
  const types = new Map<number, AvroType>();
  return async (bytes) => {
    const id = wireSchemaId(bytes);
    let type = types.get(id);
    if (!type) {
      type = await registry.getSchema(id) as unknown as AvroType;
      types.set(id, type);
    }
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { value, offset } = type.decode(buf, HEADER_BYTES);
    if (offset < 0) throw new Error("truncated buffer: the bytes end inside the Avro record");
    if (offset < buf.length) throw new Error("invalid Avro: trailing data after the record");
    return value as Record<string, unknown>;
  };
}

/**
 * The registry client, shared by codecs, decoders and tests: basic auth from
 * `conn.auth`, and for https an Agent trusting `conn.ca` (the client talks
 * through node:https under Deno too, so the Agent's `ca` is what it trusts).
 */
export function registryClient(conn: RegistryConnection): SchemaRegistry {
  const https = new URL(conn.url).protocol === "https:";
  return new SchemaRegistry({
    host: conn.url,
    auth: conn.auth,
    agent: https && conn.ca ? new Agent({ ca: conn.ca, keepAlive: true }) as never : undefined,
    // Few retries: a registry that is down at start-up must be said quickly.
    retry: { retries: 2, initialRetryTimeInSecs: 0.2 },
  });
}

/**
 * Makes one authenticated request (`GET /subjects`), so that a script
 * which only decodes learns at start-up, not at its first record, that the
 * registry refuses it or cannot be reached. Throws a {@linkcode RegistryError}
 * with the line to end with.
 */
export async function checkRegistry(conn: RegistryConnection, registry = registryClient(conn)) {
  // The client's REST resources are private in its typings; this is the one
  // request it has that needs no subject.
  const api = registry["api"] as { Subject: { all(params: object): Promise<unknown> } };
  try {
    await api.Subject.all({});
  } catch (err) {
    throw registryError(conn, err, `schema registry ${conn.url} failed`);
  }
}

/**
 * Registers every version of `schemas` under `subject`, oldest first (the
 * registry checks each step's compatibility; an already registered schema
 * keeps its id), and returns a codec writing the newest.
 */
export async function createAvroCodec(options: {
  /** Where the registry is; the client is built from it unless `client` is given. */
  registry: RegistryConnection;
  subject: string;
  schemas: readonly AvroRecordSchema[];
  client?: SchemaRegistry;
}): Promise<AvroCodec> {
  const conn = options.registry;
  const registry = options.client ?? registryClient(conn);
  let schemaId = -1;
  for (const schema of options.schemas) {
    try {
      ({ id: schemaId } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject: options.subject },
      ));
    } catch (err) {
      throw registryError(
        conn,
        err,
        `the schema registry at ${conn.url} refused ${options.subject}`,
      );
    }
  }
  const type = await registry.getSchema(schemaId) as unknown as AvroType;
  return {
    subject: options.subject,
    schemaId,
    encode: wireEncoder(schemaId, type),
    decode: wireDecoder(registry),
  };
}
