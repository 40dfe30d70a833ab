/**
 * The registry's request and answer bodies: JSON with Confluent's content
 * type, Confluent's error body, and the request bodies it accepts (415 for a
 * foreign type, 400 for bad JSON, 42201 for a schema that is not Avro).
 *
 * @example
 * ```ts
 * import { errorResponse, REGISTRY_CONTENT_TYPE } from "./http_messages.ts";
 * const res = errorResponse(404, 40401, "Subject 'x' not found.");
 * res.headers.get("content-type") === REGISTRY_CONTENT_TYPE; // true
 * await res.json(); // { error_code: 40401, message: "Subject 'x' not found." }
 * ```
 * @module
 */
import { InvalidSchemaError, parseAvroSchema, type ParsedSchema } from "./compatibility.ts";
import { ErrorCode, RegistryError } from "./state.ts";

/** The content type Confluent answers with. */
export const REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/** Request body types Confluent accepts. */
const ACCEPTED_BODY_TYPES = [
  "application/vnd.schemaregistry.v1+json",
  "application/vnd.schemaregistry+json",
  "application/json",
  "application/octet-stream",
];

/** A JSON answer, with Confluent's content type. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": REGISTRY_CONTENT_TYPE },
  });
}

/** Confluent's error body: `{ error_code, message }`. */
export function errorResponse(status: number, code: number, message: string): Response {
  return json({ error_code: code, message }, status);
}

/** Whether query parameter `name` is `true` (any case). */
export function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name)?.toLowerCase() === "true";
}

/** The JSON object of a request body; 415 for a foreign type, 400 for bad JSON. */
export async function readBody(req: Request): Promise<Record<string, unknown>> {
  const type = req.headers.get("content-type")?.split(";")[0].trim().toLowerCase();
  if (type && !ACCEPTED_BODY_TYPES.includes(type)) {
    throw new RegistryError(415, `Unsupported Media Type: ${type}`);
  }
  const text = await req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(400, `Malformed JSON body: ${(err as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new RegistryError(400, "The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** The Avro schema in a register/lookup/compatibility body; 42201 when it is not one. */
export async function readSchema(req: Request): Promise<ParsedSchema> {
  const body = await readBody(req);
  const type = body.schemaType ?? "AVRO";
  if (typeof type !== "string" || type.toUpperCase() !== "AVRO") {
    throw new RegistryError(
      ErrorCode.invalidSchema,
      `Schema type ${String(type)} is not supported: this registry serves AVRO schemas only`,
    );
  }
  if (Array.isArray(body.references) && body.references.length > 0) {
    throw new RegistryError(
      ErrorCode.invalidSchema,
      "Schema references are not supported by this registry",
    );
  }
  if (typeof body.schema !== "string" || body.schema.trim() === "") {
    throw new RegistryError(ErrorCode.invalidSchema, "Empty schema");
  }
  try {
    return parseAvroSchema(body.schema);
  } catch (err) {
    if (err instanceof InvalidSchemaError) {
      throw new RegistryError(ErrorCode.invalidSchema, err.message);
    }
    throw err;
  }
}
