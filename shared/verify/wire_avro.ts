/**
 * Avro values in the Confluent wire format (magic byte 0, a 4-byte
 * big-endian schema id, the Avro binary), decoded the plain way: the writer
 * schema fetched by id with `GET /schemas/ids/<id>` over HTTP and read with
 * `avsc` directly. The audit uses this instead of the product's codec
 * (shared/kafka/avro_codec.ts), so a bug there cannot hide itself.
 *
 * @example
 * ```ts
 * import { createWireDecoder, splitWireFormat } from "./wire_avro.ts";
 * splitWireFormat(new Uint8Array([0, 0, 0, 0, 7, 2])); // { schemaId: 7, payload: Uint8Array [2] }
 * const decoder = createWireDecoder("http://127.0.0.1:8081");
 * // await decoder.decode(bytes); // { orderId: "...", ... }
 * ```
 * @module
 */
import avro from "avsc";
import { Buffer } from "node:buffer";

/** Bytes that are not a Confluent-framed Avro value, or a schema the registry does not give. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireFormatError";
  }
}

/** The schema id and the Avro payload of a framed value. Pure. */
export function splitWireFormat(bytes: Uint8Array): { schemaId: number; payload: Uint8Array } {
  if (bytes.length < 5) {
    throw new WireFormatError(`${bytes.length} bytes: too short for the wire format`);
  }
  if (bytes[0] !== 0) throw new WireFormatError(`magic byte ${bytes[0]}, not 0`);
  const schemaId = new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1);
  return { schemaId, payload: bytes.subarray(5) };
}

/** The registry cannot be asked (down, or answering 5xx): no record can be decoded, so the audit stops. */
export class RegistryUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryUnavailableError";
  }
}

export interface WireDecoder {
  decode(bytes: Uint8Array): Promise<Record<string, unknown>>;
}

/** A decoder that fetches each writer schema once from `registryUrl`. */
export function createWireDecoder(
  registryUrl: string,
  fetchFn: typeof fetch = fetch,
): WireDecoder {
  const types = new Map<number, Promise<avro.Type>>();
  const base = registryUrl.replace(/\/+$/, "");
  const typeOf = (id: number) => {
    let t = types.get(id);
    if (!t) {
      t = (async () => {
        let res: Response;
        try {
          res = await fetchFn(`${base}/schemas/ids/${id}`);
        } catch (err) {
          throw new RegistryUnavailableError(
            `the schema registry ${base} cannot be reached (--registry-url, SCHEMA_REGISTRY_URL): ${
              (err as Error).message
            }`,
          );
        }
        const text = await res.text();
        if (res.status >= 500) {
          throw new RegistryUnavailableError(
            `the schema registry ${base} answered ${res.status}: ${text.slice(0, 200)}`,
          );
        }
        if (!res.ok) {
          throw new WireFormatError(
            `schema id ${id}: registry answered ${res.status} ${text.slice(0, 200)}`,
          );
        }
        const { schema } = JSON.parse(text) as { schema: string };
        return avro.Type.forSchema(JSON.parse(schema));
      })();
      // A failed fetch is not remembered: the next record asks again.
      t.catch(() => types.delete(id));
      types.set(id, t);
    }
    return t;
  };
  return {
    async decode(bytes) {
      const { schemaId, payload } = splitWireFormat(bytes);
      const type = await typeOf(schemaId);
      return type.fromBuffer(
        Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      ) as Record<
        string,
        unknown
      >;
    },
  };
}
