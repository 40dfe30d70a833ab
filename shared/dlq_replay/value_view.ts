/**
 * What `show` prints for one DLQ record: its place, key, headers (the
 * envelope first) and value, decoded as far as it can be: JSON text
 * pretty-printed, Confluent-framed Avro (magic byte 0, 4-byte schema id)
 * decoded by the caller through the registry when one is given, other
 * UTF-8 text as it is, anything else as a hex preview.
 *
 * @example
 * ```ts
 * import { classifyValue, hexPreview } from "./value_view.ts";
 * classifyValue(new TextEncoder().encode('{"a":1}')); // { kind: "json", value: { a: 1 } }
 * classifyValue(new Uint8Array([0, 0, 0, 0, 7, 2])); // { kind: "avro", schemaId: 7 }
 * hexPreview(new Uint8Array([0, 255])); // "00 ff"
 * ```
 * @module
 */
import { DLQ_HEADERS } from "../retry/dead_letter.ts";
import { type DlqEntry, keyText, replayOf, replayTopicOf } from "./entry.ts";

/** What a value is, as far as it can be told without a registry. */
export type ValueKind =
  | { kind: "empty" }
  | { kind: "json"; value: unknown }
  | { kind: "avro"; schemaId: number }
  | { kind: "text"; text: string }
  | { kind: "binary" };

/** Tells JSON, Confluent-framed Avro, text and binary apart. Pure. */
export function classifyValue(value: Uint8Array | null): ValueKind {
  if (!value || value.length === 0) return { kind: "empty" };
  if (value[0] === 0 && value.length >= 5) {
    const schemaId = new DataView(value.buffer, value.byteOffset, value.byteLength).getInt32(1);
    return { kind: "avro", schemaId };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(value);
  } catch {
    return { kind: "binary" };
  }
  try {
    return { kind: "json", value: JSON.parse(text) };
  } catch {
    // Control characters other than whitespace say "binary that happens to be UTF-8".
    // deno-lint-ignore no-control-regex
    return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)
      ? { kind: "binary" }
      : { kind: "text", text };
  }
}

/** The first `max` bytes as hex pairs, saying how many more there are. */
export function hexPreview(bytes: Uint8Array, max = 64): string {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.length > max ? `${shown} … (+${bytes.length - max} bytes)` : shown;
}

/** JSON that survives what Avro decoding yields: bigints and byte arrays. */
export function toJsonText(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return { hex: hexPreview(v, v.length) };
      // Buffers reach the replacer already turned into {type: "Buffer", data}.
      if (v && typeof v === "object" && v.type === "Buffer" && Array.isArray(v.data)) {
        return { hex: hexPreview(Uint8Array.from(v.data), v.data.length) };
      }
      return v;
    },
    indent,
  );
}

/** The value of a shown record: what it is, and its decoding when there is one. */
export interface ShownValue {
  kind: ValueKind["kind"];
  bytes: number;
  schemaId?: number;
  /** The decoded value (JSON, or Avro through the registry). */
  decoded?: unknown;
  text?: string;
  /** Why an Avro value is not decoded (no registry, or the registry's error). */
  note?: string;
  hex?: string;
}

/**
 * Describes a value for `show`; `avro` is the caller's decoding of an Avro
 * value (`{ decoded }`, or `{ error }`), absent without a registry. Pure.
 */
export function describeValue(
  value: Uint8Array | null,
  avro?: { decoded: unknown } | { error: string },
): ShownValue {
  const kind = classifyValue(value);
  const bytes = value?.length ?? 0;
  switch (kind.kind) {
    case "empty":
      return { kind: "empty", bytes };
    case "json":
      return { kind: "json", bytes, decoded: kind.value };
    case "text":
      return { kind: "text", bytes, text: kind.text };
    case "binary":
      return { kind: "binary", bytes, hex: hexPreview(value!) };
    case "avro": {
      const out: ShownValue = { kind: "avro", bytes, schemaId: kind.schemaId };
      if (avro && "decoded" in avro) out.decoded = avro.decoded;
      else {
        out.note = avro ? `not decoded: ${avro.error}` : "not decoded: give --registry-url";
        out.hex = hexPreview(value!);
      }
      return out;
    }
  }
}

/** Everything `show --json` prints. */
export interface ShownRecord {
  record: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: string;
  replayed: boolean;
  replayTo: string | null;
  headers: Record<string, string>;
  value: ShownValue;
}

/** The shown record as data. Pure. */
export function shownRecord(
  dlqTopic: string,
  entry: DlqEntry,
  replayed: boolean,
  value: ShownValue,
): ShownRecord {
  return {
    record: replayOf(dlqTopic, entry.partition, entry.offset),
    partition: entry.partition,
    offset: entry.offset,
    key: keyText(entry) ?? null,
    timestamp: new Date(Number(entry.timestamp)).toISOString(),
    replayed,
    replayTo: replayTopicOf(entry) ?? null,
    headers: entry.headers,
    value,
  };
}

/** The shown record as text for a terminal: envelope headers first, in their order. Pure. */
export function renderShown(shown: ShownRecord): string {
  const envelope = Object.values(DLQ_HEADERS) as string[];
  const names = [
    ...envelope.filter((n) => n in shown.headers),
    ...Object.keys(shown.headers).filter((n) => !envelope.includes(n)).sort(),
  ];
  const width = Math.max(0, ...names.map((n) => n.length)) + 1;
  const v = shown.value;
  const what = v.kind === "avro" ? `avro, schema id ${v.schemaId}` : v.kind;
  const lines = [
    shown.record,
    `  key        ${shown.key ?? "(null)"}`,
    `  timestamp  ${shown.timestamp}`,
    `  replayed   ${shown.replayed ? "yes (in the ledger)" : "no"}`,
    `  replay to  ${shown.replayTo ?? "(no dlq.replay.topic or dlq.original.topic)"}`,
    "",
    "headers:",
    ...(names.length ? names.map((n) => `  ${(n + ":").padEnd(width)} ${shown.headers[n]}`) : [
      "  (none)",
    ]),
    "",
    `value (${what}, ${v.bytes} bytes):`,
  ];
  if (v.decoded !== undefined) lines.push(toJsonText(v.decoded));
  else if (v.text !== undefined) lines.push(v.text);
  if (v.note) lines.push(`(${v.note})`);
  if (v.hex !== undefined) lines.push(v.hex);
  return lines.join("\n") + "\n";
}
