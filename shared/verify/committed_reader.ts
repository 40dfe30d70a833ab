/**
 * A thin wrapper around scripts/verify/CommittedReader.java, the audit's
 * reader: Apache Kafka's Java consumer with `isolation.level=read_committed`,
 * run with Java 17's source-file mode on the Kafka jars, so what the audit
 * sees does not depend on the product's kafkajs layer.
 *
 * Each {@linkcode CommittedReader.readMore} runs the reader once: from where
 * the last read stopped (the beginning, the first time) to the end offsets
 * at its start, and returns the records in between.
 *
 * @example
 * ```ts
 * import { createCommittedReader } from "./committed_reader.ts";
 * const reader = createCommittedReader({
 *   classpath: ".cache/kafka/4.3.1/libs/*",
 *   brokers: ["127.0.0.1:9092"],
 *   topics: ["orders-dlq"],
 * });
 * // const records = await reader.readMore(); // every committed record so far
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

/** One record as the Java reader prints it, bytes decoded from base64. */
export interface CommittedRecord {
  topic: string;
  partition: number;
  offset: number;
  /** The record's timestamp, ms since the epoch (the producer's, or the broker's on log-append-time topics). */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
}

/** Where a read stopped on one partition: the next read starts there. */
export interface Position {
  topic: string;
  partition: number;
  offset: number;
}

/** The reader failed: its one-line reason (or the end of its stderr). */
export class CommittedReaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommittedReaderError";
  }
}

/** The Java source, beside this project's scripts. */
export const READER_SOURCE = fileURLToPath(
  new URL("../../scripts/verify/CommittedReader.java", import.meta.url),
);

export interface CommittedReaderOptions {
  /** The `-cp` of the Kafka jars, e.g. `<cache>/kafka/4.3.1/libs/*`. */
  classpath: string;
  brokers: string[];
  topics: string[];
  /** A client properties file (SASL_SSL settings) handed to the consumer. */
  propertiesFile?: string;
  /** The same as text, passed in the reader's environment (VERIFY_READER_PROPERTIES), never on disk. */
  properties?: string;
  /** How long one read may take, JVM start included (default 120 s). */
  timeoutMs?: number;
  /** `java` by default. */
  java?: string;
}

function fromBase64(text: string | null): Uint8Array | null {
  if (text === null) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Parses the reader's stdout: its record lines and its closing positions line. Pure. */
export function parseReaderOutput(
  text: string,
): { records: CommittedRecord[]; positions: Position[] } {
  const records: CommittedRecord[] = [];
  let positions: Position[] | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new CommittedReaderError(
        `the reader printed a line that is not JSON: ${line.slice(0, 200)}`,
      );
    }
    if (Array.isArray(parsed.positions)) {
      positions = parsed.positions as Position[];
      continue;
    }
    const r = parsed as {
      topic: string;
      partition: number;
      offset: number;
      timestamp: number;
      key: string | null;
      value: string | null;
      headers: { key: string; value: string | null }[];
    };
    records.push({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: fromBase64(r.key),
      value: fromBase64(r.value),
      headers: r.headers.map((h) => ({ key: h.key, value: fromBase64(h.value) })),
    });
  }
  if (positions === undefined) {
    throw new CommittedReaderError("the reader stopped before printing where it ended");
  }
  return { records, positions };
}

/** The `java` arguments for one read. Pure. */
export function readerArgs(options: CommittedReaderOptions, from: readonly Position[]): string[] {
  return [
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-cp",
    options.classpath,
    READER_SOURCE,
    "--bootstrap-server",
    options.brokers.join(","),
    ...options.topics.flatMap((t) => ["--topic", t]),
    ...from.flatMap((p) => ["--start", `${p.topic}:${p.partition}:${p.offset}`]),
    ...(options.propertiesFile ? ["--properties", options.propertiesFile] : []),
    "--timeout-ms",
    String(options.timeoutMs ?? 120_000),
  ];
}

/** The reason in the reader's stderr: its `error: ` line, else the last lines. */
export function readerFailure(stderr: string, code: number): string {
  const own = stderr.split("\n").find((l) => l.startsWith("error: "))?.slice("error: ".length);
  if (own?.startsWith("no such topic")) {
    return `${own} (check --inventory-topic, --delivery-topic, --dlq-topic and --status-topic)`;
  }
  if (own) return own;
  const tail = stderr.trim().split("\n").slice(-3).join(" | ");
  return `the Java reader exited with code ${code}${tail ? `: ${tail}` : ""}`;
}

/** Reads the topics incrementally; see the module doc. */
export interface CommittedReader {
  /** The records committed since the last read (all of them, the first time). */
  readMore(): Promise<CommittedRecord[]>;
}

export function createCommittedReader(options: CommittedReaderOptions): CommittedReader {
  let from: Position[] = [];
  return {
    async readMore() {
      let out: Deno.CommandOutput;
      try {
        out = await new Deno.Command(options.java ?? "java", {
          args: readerArgs(options, from),
          env: options.properties ? { VERIFY_READER_PROPERTIES: options.properties } : undefined,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
      } catch (err) {
        throw new CommittedReaderError(
          `cannot run java (Java 17 or newer is needed for the audit's reader): ${
            (err as Error).message
          }`,
        );
      }
      const stderr = new TextDecoder().decode(out.stderr);
      if (!out.success) throw new CommittedReaderError(readerFailure(stderr, out.code));
      const { records, positions } = parseReaderOutput(new TextDecoder().decode(out.stdout));
      from = positions;
      return records;
    },
  };
}
