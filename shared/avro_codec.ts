/**
 * Avro in the Confluent wire format through a schema registry (ours, or
 * Confluent's): register a subject's schema history at start-up, then encode
 * and decode with the registry client's cache.
 *
 * @example
 * ```ts
 * import { createAvroCodec } from "./avro_codec.ts";
 * // const codec = await createAvroCodec({ url: "http://127.0.0.1:8081", subject: "s-value", schemas: [schemaV1, schemaV2] });
 * // const bytes = await codec.encode({ ... });
 * ```
 * @module
 */
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import type { AvroRecordSchema } from "./orders/schemas.ts";

/** The registry cannot be reached, or refused a schema; says which and why. */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryError";
  }
}

/** Encodes one subject's values with its latest schema; decodes any registered id. */
export interface AvroCodec {
  readonly subject: string;
  /** The id every `encode` writes (the newest of the history). */
  readonly schemaId: number;
  encode(value: Record<string, unknown>): Promise<Uint8Array>;
  decode(bytes: Uint8Array): Promise<Record<string, unknown>>;
}

/** The registry client, shared by codecs and by tests that decode. */
export function registryClient(url: string): SchemaRegistry {
  // Few retries: a registry that is down at start-up must be said quickly.
  return new SchemaRegistry({ host: url, retry: { retries: 2, initialRetryTimeInSecs: 0.2 } });
}

/**
 * Registers every version of `schemas` under `subject`, oldest first (the
 * registry checks each step's compatibility; an already registered schema
 * keeps its id), and returns a codec writing the newest.
 */
export async function createAvroCodec(options: {
  url: string;
  subject: string;
  schemas: readonly AvroRecordSchema[];
  registry?: SchemaRegistry;
}): Promise<AvroCodec> {
  const registry = options.registry ?? registryClient(options.url);
  let schemaId = -1;
  for (const schema of options.schemas) {
    try {
      ({ id: schemaId } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject: options.subject },
      ));
    } catch (err) {
      const msg = (err as Error).message;
      const unreachable = /ECONNREFUSED|connect|fetch failed|ENOTFOUND|timed? ?out/i.test(msg);
      throw new RegistryError(
        unreachable
          ? `the schema registry at ${options.url} cannot be reached (${msg}); start it or set SCHEMA_REGISTRY_URL`
          : `the schema registry at ${options.url} refused ${options.subject}: ${msg}`,
      );
    }
  }
  return {
    subject: options.subject,
    schemaId,
    encode: async (value) => new Uint8Array(await registry.encode(schemaId, value)),
    decode: (bytes) => registry.decode(Buffer.from(bytes)),
  };
}
