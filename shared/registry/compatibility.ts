/**
 * Avro schemas for the schema registry, without any I/O: parsing and
 * validation, the canonical text that makes registration idempotent, and the
 * compatibility check between a new schema and the versions before it.
 *
 * Compatibility is decided by Avro schema resolution as avsc implements it
 * (`reader.createResolver(writer)` throws when the reader cannot read what the
 * writer wrote), the very library our consumers decode with, so what the
 * registry accepts is what the pipeline can actually read. BACKWARD means the
 * new schema reads data written with the old ones, FORWARD the reverse, FULL
 * both; the transitive levels check every live version instead of the latest.
 *
 * @example
 * ```ts
 * import { checkCompatibility, parseAvroSchema } from "./compatibility.ts";
 * const v1 = parseAvroSchema('{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}');
 * const v2 = parseAvroSchema(
 *   '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},' +
 *     '{"name":"qty","type":"int","default":1}]}',
 * );
 * checkCompatibility("BACKWARD", v2, [{ version: 1, schema: v1 }]); // [] : compatible
 * ```
 * @module
 */
import avro from "avsc";

/** The compatibility levels of Confluent's registry. */
export const COMPATIBILITY_LEVELS = [
  "NONE",
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
] as const;
export type CompatibilityLevel = typeof COMPATIBILITY_LEVELS[number];

/** The level a registry uses when none is configured, as Confluent's does. */
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";

/** Reads a level the way Confluent does: case-insensitive; undefined when unknown. */
export function toCompatibilityLevel(value: unknown): CompatibilityLevel | undefined {
  if (typeof value !== "string") return undefined;
  const upper = value.trim().toUpperCase();
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(upper)
    ? upper as CompatibilityLevel
    : undefined;
}

/** A schema text that is not valid Avro; the message says why. */
export class InvalidSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSchemaError";
  }
}

/** A validated Avro schema: its canonical text and the avsc type for resolution. */
export interface ParsedSchema {
  /** Canonical JSON: equal for schemas that differ only in spelling. */
  readonly canonical: string;
  readonly type: avro.Type;
}

const PRIMITIVES = new Set([
  "null",
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "bytes",
  "string",
]);
const NAMED = new Set(["record", "error", "enum", "fixed"]);

/** Attribute order in canonical output, so it reads like a hand-written schema. */
const TYPE_KEY_ORDER = [
  "type",
  "name",
  "namespace",
  "doc",
  "aliases",
  "symbols",
  "fields",
  "items",
  "values",
  "size",
  "logicalType",
  "precision",
  "scale",
  "default",
];
const FIELD_KEY_ORDER = ["name", "type", "doc", "default", "order", "aliases"];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Parses and validates an Avro schema text (JSON) and computes its canonical
 * form. Throws {@linkcode InvalidSchemaError} for anything avsc rejects.
 *
 * The canonical form keeps everything that can change what a schema means or
 * how it evolves (defaults, logical types, docs, aliases, custom attributes)
 * and drops only spelling: whitespace, attribute order, `{"type":"int"}` for
 * `"int"`, and short names for full names.
 */
export function parseAvroSchema(text: string): ParsedSchema {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidSchemaError(`Invalid schema: not JSON: ${(err as Error).message}`);
  }
  const registry: Record<string, avro.Type> = {};
  let type: avro.Type;
  try {
    // A fresh registry per parse: names never leak between schemas.
    // deno-lint-ignore no-explicit-any
    type = avro.Type.forSchema(json as any, { registry });
  } catch (err) {
    throw new InvalidSchemaError(`Invalid schema: ${(err as Error).message}`);
  }
  const canonical = JSON.stringify(canonicalize(json, "", new Set(Object.keys(registry))));
  return { canonical, type };
}

/** Full name of a named type defined in `enclosing`, per the Avro spec. */
function fullNameOf(schema: { [key: string]: Json }, enclosing: string): string {
  const name = String(schema.name);
  if (name.includes(".")) return name;
  const ns = typeof schema.namespace === "string" ? schema.namespace : enclosing;
  return ns ? `${ns}.${name}` : name;
}

function namespaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf(".");
  return dot < 0 ? "" : fullName.slice(0, dot);
}

/** A reference to a named type, qualified the way avsc resolved it. */
function qualifyReference(ref: string, namespace: string, known: ReadonlySet<string>): string {
  if (PRIMITIVES.has(ref) || ref.includes(".") || !namespace) return ref;
  const qualified = `${namespace}.${ref}`;
  return known.has(qualified) ? qualified : ref;
}

function ordered(
  entries: [string, Json][],
  order: readonly string[],
): { [key: string]: Json } {
  const rank = (k: string) => {
    const i = order.indexOf(k);
    return i < 0 ? order.length : i;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/** Plain JSON (defaults, custom attributes) with object keys sorted. */
function sortedJson(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (value !== null && typeof value === "object") {
    return ordered(Object.entries(value).map(([k, v]) => [k, sortedJson(v)]), []);
  }
  return value;
}

function canonicalize(schema: Json, namespace: string, known: ReadonlySet<string>): Json {
  if (typeof schema === "string") return qualifyReference(schema, namespace, known);
  if (Array.isArray(schema)) return schema.map((branch) => canonicalize(branch, namespace, known));
  if (schema === null || typeof schema !== "object") return schema;

  const typeName = schema.type;
  const others = Object.keys(schema).filter((k) => k !== "type");
  if (typeof typeName !== "string") {
    // `{"type": {...}}`: a schema wrapped in an object.
    const inner = canonicalize(typeName as Json, namespace, known);
    return others.length === 0 ? inner : canonicalObject(schema, inner, namespace, known);
  }
  if (PRIMITIVES.has(typeName) && others.length === 0) return typeName;
  if (
    !PRIMITIVES.has(typeName) && !NAMED.has(typeName) && typeName !== "array" &&
    typeName !== "map"
  ) {
    // `{"type": "com.shop.Address"}`: a reference written as an object.
    const ref = qualifyReference(typeName, namespace, known);
    return others.length === 0 ? ref : canonicalObject(schema, ref, namespace, known);
  }
  return canonicalObject(schema, typeName, namespace, known);
}

function canonicalObject(
  schema: { [key: string]: Json },
  typeValue: Json,
  namespace: string,
  known: ReadonlySet<string>,
): Json {
  const out: [string, Json][] = [["type", typeValue]];
  const named = typeof typeValue === "string" && NAMED.has(typeValue);
  let inner = namespace;
  if (named) {
    // The full name says it all; a null namespace inside a namespaced type
    // must stay explicit, or it would be read as the enclosing one.
    const fullName = fullNameOf(schema, namespace);
    inner = namespaceOf(fullName);
    out.push(["name", fullName]);
    if (!inner && namespace) out.push(["namespace", ""]);
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === "type" || named && (key === "name" || key === "namespace")) continue;
    if (key === "fields" && Array.isArray(value)) {
      out.push([key, value.map((field) => canonicalField(field, inner, known))]);
    } else if (key === "items" || key === "values") {
      out.push([key, canonicalize(value, inner, known)]);
    } else {
      out.push([key, sortedJson(value)]);
    }
  }
  return ordered(out, TYPE_KEY_ORDER);
}

function canonicalField(field: Json, namespace: string, known: ReadonlySet<string>): Json {
  if (field === null || typeof field !== "object" || Array.isArray(field)) return field;
  const out: [string, Json][] = Object.entries(field).map(([key, value]) => [
    key,
    key === "type" ? canonicalize(value, namespace, known) : sortedJson(value),
  ]);
  return ordered(out, FIELD_KEY_ORDER);
}

/** Why `reader` cannot read data written with `writer`, or undefined when it can. */
export function resolutionError(reader: ParsedSchema, writer: ParsedSchema): string | undefined {
  return whyUnreadable(reader.type, writer.type, reader.type.name ?? reader.type.typeName);
}

/** The avsc API of record fields, which its typings leave out. */
interface AvroField {
  name: string;
  type: avro.Type;
  aliases: string[];
  defaultValue(): unknown;
}

function tryResolve(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * avsc says what cannot be read but not where; for records we find the
 * field, so that a refusal names it (`shop.Order.price: cannot read ...`).
 */
function whyUnreadable(reader: avro.Type, writer: avro.Type, path: string): string | undefined {
  const message = tryResolve(reader, writer);
  if (message === undefined) return undefined;
  const isRecord = (t: avro.Type) => t.typeName === "record" || t.typeName === "error";
  if (isRecord(reader) && isRecord(writer) && reader.name === writer.name) {
    const writerFields = (writer as unknown as { fields: AvroField[] }).fields;
    for (const field of (reader as unknown as { fields: AvroField[] }).fields) {
      const written = writerFields.find((w) =>
        w.name === field.name || field.aliases.includes(w.name)
      );
      const where = `${path}.${field.name}`;
      if (!written) {
        if (field.defaultValue() === undefined) {
          return `${where}: the field has no default and the writer's schema does not have it`;
        }
        continue;
      }
      const inner = whyUnreadable(field.type, written.type, where);
      if (inner) return inner;
    }
  }
  return `${path}: ${message}`;
}

/** One earlier version of a subject, as the compatibility check sees it. */
export interface PreviousVersion {
  version: number;
  schema: ParsedSchema;
}

/**
 * Checks `candidate` against the live versions of a subject (oldest first)
 * under `level`. Returns why it is incompatible, one message per failed
 * check, or an empty list when it is compatible.
 */
export function checkCompatibility(
  level: CompatibilityLevel,
  candidate: ParsedSchema,
  previous: readonly PreviousVersion[],
): string[] {
  if (level === "NONE" || previous.length === 0) return [];
  const against = level.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
  const backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
  const forward = level.startsWith("FORWARD") || level.startsWith("FULL");
  const messages: string[] = [];
  // Newest first, as Confluent reports them.
  for (const old of [...against].reverse()) {
    if (backward) {
      const why = resolutionError(candidate, old.schema);
      if (why) {
        messages.push(
          `${level}: the new schema cannot read data written with version ${old.version}: ${why}`,
        );
      }
    }
    if (forward) {
      const why = resolutionError(old.schema, candidate);
      if (why) {
        messages.push(
          `${level}: version ${old.version} cannot read data written with the new schema: ${why}`,
        );
      }
    }
  }
  return messages;
}
