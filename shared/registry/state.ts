/**
 * The schema registry's state as a pure state machine: log records go in
 * (schema versions registered, soft-deleted or tombstoned; compatibility
 * configs set or removed), queries come out. Every command is planned here
 * too: a plan checks the request against the state and returns the records
 * that carry it out, or throws a {@linkcode RegistryError} with Confluent's
 * error code. Writing the records and applying them is the caller's job, so
 * all of this is tested without Kafka.
 *
 * The records follow the layout of Confluent's own `_schemas` topic: one
 * compacted key per subject version and per config, whose latest value is
 * the whole truth about it, so a compacted log rebuilds the same state.
 *
 * @example
 * ```ts
 * import { planRegister, RegistryState } from "./state.ts";
 * import { parseAvroSchema } from "./compatibility.ts";
 * const state = new RegistryState();
 * const plan = planRegister(state, "orders-value", parseAvroSchema('"string"'));
 * for (const record of plan.records) state.apply(record); // after writing them
 * state.versions("orders-value")[0].id; // 1
 * ```
 * @module
 */
import {
  checkCompatibility,
  type CompatibilityLevel,
  DEFAULT_COMPATIBILITY,
  parseAvroSchema,
  type ParsedSchema,
  toCompatibilityLevel,
} from "./compatibility.ts";

/** Confluent's error codes; the HTTP status is the first three digits. */
export const ErrorCode = {
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectSoftDeleted: 40404,
  subjectNotSoftDeleted: 40405,
  versionSoftDeleted: 40406,
  versionNotSoftDeleted: 40407,
  subjectConfigNotFound: 40408,
  incompatibleSchema: 409,
  invalidSchema: 42201,
  invalidVersion: 42202,
  invalidCompatibilityLevel: 42203,
  storeError: 50001,
} as const;

/** A request the registry refuses, with Confluent's error code. */
export class RegistryError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "RegistryError";
  }
  /** 40401 → 404, 42201 → 422, 409 → 409. */
  get status(): number {
    return this.code >= 1000 ? Math.floor(this.code / 100) : this.code;
  }
}

/** One version of a subject, live or soft-deleted. */
export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  /** The canonical schema text. */
  schema: string;
  deleted: boolean;
}

/** The compaction key of a subject version, as Confluent writes it. */
export interface SchemaKey {
  keytype: "SCHEMA";
  subject: string;
  version: number;
  magic: 1;
}
/** The compaction key of a compatibility config; `subject: null` is the global one. */
export interface ConfigKey {
  keytype: "CONFIG";
  subject: string | null;
  magic: 0;
}

/** One record of the registry's log; a `null` value deletes the key. */
export type LogRecord =
  | { key: SchemaKey; value: SchemaVersion | null }
  | { key: ConfigKey; value: { compatibilityLevel: CompatibilityLevel } | null };

/** A record as bytes-to-be: JSON key and JSON value (or a tombstone). */
export interface EncodedRecord {
  key: string;
  value: string | null;
}

/** A log record that cannot be understood; loading skips it with a warning. */
export class MalformedRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedRecordError";
  }
}

export function schemaKey(subject: string, version: number): SchemaKey {
  return { keytype: "SCHEMA", subject, version, magic: 1 };
}
export function configKey(subject: string | null): ConfigKey {
  return { keytype: "CONFIG", subject, magic: 0 };
}

/**
 * Encodes a record. Keys are built with a fixed attribute order because
 * compaction compares key bytes: the same key must always be the same bytes.
 */
export function encodeRecord(record: LogRecord): EncodedRecord {
  const k = record.key;
  const key = k.keytype === "SCHEMA"
    ? JSON.stringify({ keytype: k.keytype, subject: k.subject, version: k.version, magic: k.magic })
    : JSON.stringify({ keytype: k.keytype, subject: k.subject, magic: k.magic });
  if (record.value === null) return { key, value: null };
  if (record.key.keytype === "CONFIG") return { key, value: JSON.stringify(record.value) };
  const v = record.value as SchemaVersion;
  return {
    key,
    value: JSON.stringify({
      subject: v.subject,
      version: v.version,
      id: v.id,
      schema: v.schema,
      deleted: v.deleted,
    }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedRecordError(`${what} is not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * Decodes a record read from the log. Returns undefined for key types that
 * carry nothing for us (Confluent's NOOP, MODE, DELETE_SUBJECT markers);
 * throws {@linkcode MalformedRecordError} for anything else it cannot read.
 */
export function decodeRecord(key: string, value: string | null): LogRecord | undefined {
  const k = parseJson(key, "key");
  if (!isObject(k) || typeof k.keytype !== "string") {
    throw new MalformedRecordError(`key has no keytype: ${key.slice(0, 200)}`);
  }
  if (k.keytype === "SCHEMA") {
    if (typeof k.subject !== "string" || !Number.isInteger(k.version)) {
      throw new MalformedRecordError(`SCHEMA key without subject and version: ${key}`);
    }
    const recordKey = schemaKey(k.subject, k.version as number);
    if (value === null) return { key: recordKey, value: null };
    const v = parseJson(value, "value");
    if (
      !isObject(v) || !Number.isInteger(v.id) || typeof v.schema !== "string" ||
      (v.schemaType !== undefined && v.schemaType !== "AVRO")
    ) {
      throw new MalformedRecordError(`SCHEMA value is not an Avro schema version: ${key}`);
    }
    return {
      key: recordKey,
      value: {
        subject: k.subject,
        version: k.version as number,
        id: v.id as number,
        schema: v.schema,
        deleted: v.deleted === true,
      },
    };
  }
  if (k.keytype === "CONFIG") {
    if (k.subject !== null && k.subject !== undefined && typeof k.subject !== "string") {
      throw new MalformedRecordError(`CONFIG key with a bad subject: ${key}`);
    }
    const recordKey = configKey((k.subject as string | null | undefined) ?? null);
    if (value === null) return { key: recordKey, value: null };
    const v = parseJson(value, "value");
    const level = isObject(v) ? toCompatibilityLevel(v.compatibilityLevel) : undefined;
    // Confluent's config may carry other settings only; nothing for us then.
    if (!level) return undefined;
    return { key: recordKey, value: { compatibilityLevel: level } };
  }
  return undefined;
}

/** The registry's in-memory state, built only by {@linkcode RegistryState.apply}. */
export class RegistryState {
  /** subject → version → entry. */
  #subjects = new Map<string, Map<number, SchemaVersion>>();
  /** id → its schema text and the subject versions that use it. */
  #ids = new Map<number, { schema: string; users: Set<string> }>();
  #idBySchema = new Map<string, number>();
  #configs = new Map<string | null, CompatibilityLevel>();
  #maxId = 0;
  #parsed = new Map<string, ParsedSchema>();

  /** Starts over from `records` (e.g. after re-reading the log). */
  reset(records: Iterable<LogRecord> = []): void {
    this.#subjects.clear();
    this.#ids.clear();
    this.#idBySchema.clear();
    this.#configs.clear();
    this.#maxId = 0;
    for (const record of records) this.apply(record);
  }

  /** Applies one record; the latest value of a key replaces what was there. */
  apply(record: LogRecord): void {
    if (record.key.keytype === "CONFIG") {
      const value = record.value as { compatibilityLevel: CompatibilityLevel } | null;
      if (value === null) this.#configs.delete(record.key.subject);
      else this.#configs.set(record.key.subject, value.compatibilityLevel);
      return;
    }
    const { subject, version } = record.key;
    const versions = this.#subjects.get(subject) ?? new Map<number, SchemaVersion>();
    const before = versions.get(version);
    if (before) this.#release(before);
    const value = record.value as SchemaVersion | null;
    if (value === null) {
      versions.delete(version);
      if (versions.size === 0) this.#subjects.delete(subject);
      return;
    }
    versions.set(version, { ...value, subject, version });
    this.#subjects.set(subject, versions);
    const use = this.#ids.get(value.id) ?? { schema: value.schema, users: new Set<string>() };
    use.users.add(`${version}:${subject}`);
    this.#ids.set(value.id, use);
    this.#idBySchema.set(value.schema, value.id);
    this.#maxId = Math.max(this.#maxId, value.id);
  }

  #release(entry: SchemaVersion): void {
    const use = this.#ids.get(entry.id);
    if (!use) return;
    use.users.delete(`${entry.version}:${entry.subject}`);
    if (use.users.size === 0) {
      this.#ids.delete(entry.id);
      if (this.#idBySchema.get(use.schema) === entry.id) this.#idBySchema.delete(use.schema);
    }
  }

  /** Subjects with a live version (or, with `includeDeleted`, any version), sorted. */
  subjects(includeDeleted = false): string[] {
    return [...this.#subjects.keys()]
      .filter((s) => this.versions(s, includeDeleted).length > 0)
      .sort();
  }

  /** A subject's versions, oldest first; soft-deleted ones only on request. */
  versions(subject: string, includeDeleted = false): SchemaVersion[] {
    const versions = [...(this.#subjects.get(subject)?.values() ?? [])];
    return versions
      .filter((v) => includeDeleted || !v.deleted)
      .sort((a, b) => a.version - b.version);
  }

  /** The schema text registered under `id`, if any version still uses it. */
  schemaById(id: number): string | undefined {
    return this.#ids.get(id)?.schema;
  }

  /** The id a canonical schema text has, if it is registered anywhere. */
  idOf(canonical: string): number | undefined {
    return this.#idBySchema.get(canonical);
  }

  /** The largest id ever applied; new schemas get the next one. */
  get maxId(): number {
    return this.#maxId;
  }

  /** The subject versions that use `id`, sorted by subject then version. */
  usages(id: number, includeDeleted = false): SchemaVersion[] {
    const out: SchemaVersion[] = [];
    for (const versions of this.#subjects.values()) {
      for (const v of versions.values()) {
        if (v.id === id && (includeDeleted || !v.deleted)) out.push(v);
      }
    }
    return out.sort((a, b) =>
      a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version
    );
  }

  /** The level set for a subject (`null`: the global one), if any. */
  configuredLevel(subject: string | null): CompatibilityLevel | undefined {
    return this.#configs.get(subject);
  }

  /** The level that applies to `subject`: its own, else the global, else BACKWARD. */
  effectiveLevel(subject: string | null): CompatibilityLevel {
    return (subject === null ? undefined : this.#configs.get(subject)) ??
      this.#configs.get(null) ?? DEFAULT_COMPATIBILITY;
  }

  /** A schema text parsed, remembered: old versions are checked again and again. */
  parsed(schema: string): ParsedSchema {
    let parsed = this.#parsed.get(schema);
    if (!parsed) {
      parsed = parseAvroSchema(schema);
      this.#parsed.set(schema, parsed);
    }
    return parsed;
  }
}

// --- Queries that answer with Confluent's errors -----------------------------

/** A version in a request: a number, or the latest. */
export type VersionSpec = number | "latest";

const MAX_VERSION = 2 ** 31 - 1;

/** Parses a version path segment; 42202 for anything but 1..2^31-1, "latest" or -1. */
export function parseVersion(text: string): VersionSpec {
  if (text === "latest" || text === "-1") return "latest";
  const n = Number(text);
  if (/^\d+$/.test(text) && n >= 1 && n <= MAX_VERSION) return n;
  throw new RegistryError(
    ErrorCode.invalidVersion,
    `The specified version '${text}' is not a valid version id. ` +
      `Allowed values are between [1, 2^31-1] and the string "latest"`,
  );
}

export function subjectNotFound(subject: string): RegistryError {
  return new RegistryError(ErrorCode.subjectNotFound, `Subject '${subject}' not found.`);
}

/** A subject's versions, or 40401 when it has none visible. */
export function requireVersions(
  state: RegistryState,
  subject: string,
  includeDeleted = false,
): SchemaVersion[] {
  const versions = state.versions(subject, includeDeleted);
  if (versions.length === 0) throw subjectNotFound(subject);
  return versions;
}

/** One version of a subject: 40401 without the subject, 40402 without the version. */
export function requireVersion(
  state: RegistryState,
  subject: string,
  spec: VersionSpec,
  includeDeleted = false,
): SchemaVersion {
  const versions = requireVersions(state, subject, includeDeleted);
  const found = spec === "latest"
    ? versions[versions.length - 1]
    : versions.find((v) => v.version === spec);
  if (!found) throw new RegistryError(ErrorCode.versionNotFound, `Version ${spec} not found.`);
  return found;
}

/** The version of `subject` holding `schema` (POST /subjects/{subject}). */
export function lookupSchema(
  state: RegistryState,
  subject: string,
  schema: ParsedSchema,
  includeDeleted = false,
): SchemaVersion {
  const versions = requireVersions(state, subject, includeDeleted);
  // The newest match: a schema re-registered after a soft delete has two versions.
  const found = versions.findLast((v) => v.schema === schema.canonical);
  if (!found) throw new RegistryError(ErrorCode.schemaNotFound, "Schema not found");
  return found;
}

/**
 * Why `schema` may not follow `subject`'s versions under the subject's level:
 * against one version when `spec` names one, else against what registration
 * would check (the latest live version, or all of them when transitive).
 * Empty when compatible; also empty when there is nothing to compare with.
 */
export function compatibilityMessages(
  state: RegistryState,
  subject: string,
  schema: ParsedSchema,
  spec?: VersionSpec,
): string[] {
  const level = state.effectiveLevel(subject);
  let against: SchemaVersion[];
  if (spec === undefined) {
    against = state.versions(subject);
  } else if (spec === "latest" && state.versions(subject).length === 0) {
    // Nothing registered yet: anything may be the first version (Confluent says so too).
    return [];
  } else {
    against = [requireVersion(state, subject, spec)];
  }
  const previous = against.map((v) => ({ version: v.version, schema: state.parsed(v.schema) }));
  const messages = checkCompatibility(level, schema, previous);
  if (messages.length === 0) return [];
  return [...messages, `{compatibility: '${level}'}`];
}

// --- Command plans: the records that carry a request out ----------------------

/** A plan: the answer to give once `records` are durably written and applied. */
export interface Plan<T> {
  result: T;
  records: LogRecord[];
}

/**
 * Registers `schema` under `subject`, as Confluent does: the same schema
 * already live under the subject answers with its id and writes nothing;
 * otherwise it must be compatible with the live versions, takes the id the
 * same schema has anywhere else (or the next free one), and becomes the next
 * version.
 */
export function planRegister(
  state: RegistryState,
  subject: string,
  schema: ParsedSchema,
): Plan<{ id: number; version: number }> {
  const live = state.versions(subject);
  const existing = live.find((v) => v.schema === schema.canonical);
  if (existing) return { result: { id: existing.id, version: existing.version }, records: [] };
  const messages = compatibilityMessages(state, subject, schema);
  if (messages.length > 0) {
    throw new RegistryError(
      ErrorCode.incompatibleSchema,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", ` +
        `details: [${messages.join(", ")}]`,
    );
  }
  const id = state.idOf(schema.canonical) ?? state.maxId + 1;
  const all = state.versions(subject, true);
  const version = (all.at(-1)?.version ?? 0) + 1;
  const value: SchemaVersion = { subject, version, id, schema: schema.canonical, deleted: false };
  return { result: { id, version }, records: [{ key: schemaKey(subject, version), value }] };
}

/**
 * Deletes a subject. Soft: marks its live versions deleted (40404 when all
 * already are). Permanent: only after a soft delete (40405), removes every
 * version and the subject's config. Answers with the versions deleted.
 */
export function planDeleteSubject(
  state: RegistryState,
  subject: string,
  permanent: boolean,
): Plan<number[]> {
  const all = requireVersions(state, subject, true);
  const live = all.filter((v) => !v.deleted);
  if (!permanent) {
    if (live.length === 0) {
      throw new RegistryError(
        ErrorCode.subjectSoftDeleted,
        `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`,
      );
    }
    return {
      result: live.map((v) => v.version),
      records: live.map((v) => ({
        key: schemaKey(subject, v.version),
        value: { ...v, deleted: true },
      })),
    };
  }
  if (live.length > 0) {
    throw new RegistryError(
      ErrorCode.subjectNotSoftDeleted,
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    );
  }
  const records: LogRecord[] = all.map((v) => ({
    key: schemaKey(subject, v.version),
    value: null,
  }));
  if (state.configuredLevel(subject)) records.push({ key: configKey(subject), value: null });
  return { result: all.map((v) => v.version), records };
}

/**
 * Deletes one version. Soft: 40406 when it already is. Permanent: only after
 * a soft delete (40407). Answers with the version number.
 */
export function planDeleteVersion(
  state: RegistryState,
  subject: string,
  spec: VersionSpec,
  permanent: boolean,
): Plan<number> {
  // "latest" means the latest live version for a soft delete, and the latest
  // of all for a permanent one (the live one would be refused anyway).
  const entry = spec === "latest" && !permanent
    ? requireVersion(state, subject, spec)
    : requireVersion(state, subject, spec, true);
  if (!permanent) {
    if (entry.deleted) {
      throw new RegistryError(
        ErrorCode.versionSoftDeleted,
        `Subject '${subject}' Version ${entry.version} was soft deleted.` +
          `Set permanent=true to delete permanently`,
      );
    }
    return {
      result: entry.version,
      records: [{ key: schemaKey(subject, entry.version), value: { ...entry, deleted: true } }],
    };
  }
  if (!entry.deleted) {
    throw new RegistryError(
      ErrorCode.versionNotSoftDeleted,
      `Subject '${subject}' Version ${entry.version} was not deleted first before being ` +
        `permanently deleted`,
    );
  }
  return {
    result: entry.version,
    records: [{ key: schemaKey(subject, entry.version), value: null }],
  };
}

/** Parses a compatibility level from a request; 42203 when it is not one. */
export function requireCompatibilityLevel(value: unknown): CompatibilityLevel {
  const level = toCompatibilityLevel(value);
  if (!level) {
    throw new RegistryError(
      ErrorCode.invalidCompatibilityLevel,
      "Invalid compatibility level. Valid values are none, backward, forward, full, " +
        "backward_transitive, forward_transitive, and full_transitive",
    );
  }
  return level;
}

/** Sets the level of a subject, or the global one when `subject` is null. */
export function planSetConfig(
  subject: string | null,
  level: CompatibilityLevel,
): Plan<CompatibilityLevel> {
  return {
    result: level,
    records: [{ key: configKey(subject), value: { compatibilityLevel: level } }],
  };
}

/**
 * Removes a subject's level (40401 when it has none) or the global one (back
 * to the default). Answers with the level that was in force.
 */
export function planDeleteConfig(
  state: RegistryState,
  subject: string | null,
): Plan<CompatibilityLevel> {
  const level = state.configuredLevel(subject);
  if (subject !== null && !level) throw subjectNotFound(subject);
  return {
    result: level ?? state.effectiveLevel(null),
    records: level ? [{ key: configKey(subject), value: null }] : [],
  };
}
