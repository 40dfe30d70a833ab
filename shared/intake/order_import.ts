/**
 * NDJSON import: one order per line, blank lines skipped, every line
 * validated. A line that is malformed or invalid is never dropped silently:
 * it is reported (line number and every problem, as a structured log line)
 * and counted, while the valid lines go on to the sink in batches. Unlike
 * the gateway, the import fills in nothing: a file imported twice gives the
 * same ids, so its copies are recognisable.
 *
 * @example
 * ```ts
 * import { importOrders, readLines } from "./order_import.ts";
 * import { createLogger } from "../platform/log.ts";
 * const file = await Deno.open("orders.ndjson");
 * const stats = await importOrders({
 *   lines: readLines(file.readable),
 *   sink: { send: () => Promise.resolve() },
 *   log: createLogger({ name: "import" }),
 * });
 * stats.rejected; // lines that were not sent, each logged with its problems
 * ```
 * @module
 */
import type { OrderSink } from "./intake.ts";
import type { Logger } from "../platform/log.ts";
import type { RawOrder } from "../orders/model.ts";
import { formatProblems, parseOrderJson } from "../orders/validate.ts";

/**
 * The lines of a UTF-8 byte stream, without their `\n` or `\r\n`; a last
 * line without a newline counts too.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    rest += text;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      yield line.endsWith("\r") ? line.slice(0, -1) : line;
    }
  }
  if (rest !== "") yield rest.endsWith("\r") ? rest.slice(0, -1) : rest;
}

export interface ImportOptions {
  lines: AsyncIterable<string> | Iterable<string>;
  /** Where valid orders go; none for a dry run (validation only). */
  sink?: OrderSink;
  log: Logger;
  /** Orders per send; 500 by default. */
  batchSize?: number;
  /** Most sends awaiting acknowledgement; 2 by default. */
  maxInFlight?: number;
  /** Stops reading (what was read is still sent). */
  signal?: AbortSignal;
}

/** What an import did. */
export interface ImportStats {
  /** Lines read, blank ones included. */
  lines: number;
  blank: number;
  /** Lines that held a valid order. */
  valid: number;
  /** Lines refused (malformed JSON or an invalid order), each one logged. */
  rejected: number;
  /** Orders Kafka acknowledged (0 on a dry run). */
  sent: number;
  /** Orders whose send failed. */
  failed: number;
  dryRun: boolean;
  /** The failed send that stopped the import. */
  error?: Error;
  /** Whether `signal` stopped it before the end of its input. */
  interrupted: boolean;
}

/** Reads, validates and sends; stops reading at the first failed send. */
export async function importOrders(options: ImportOptions): Promise<ImportStats> {
  const { lines, sink, log, batchSize = 500, maxInFlight = 2, signal } = options;
  const stats: ImportStats = {
    lines: 0,
    blank: 0,
    valid: 0,
    rejected: 0,
    sent: 0,
    failed: 0,
    dryRun: sink === undefined,
    interrupted: false,
  };
  const inFlight = new Set<Promise<void>>();
  let batch: RawOrder[] = [];

  const send = async (orders: RawOrder[]) => {
    if (sink === undefined || orders.length === 0) return;
    const sending: Promise<void> = sink.send(orders).then(
      () => void (stats.sent += orders.length),
      (err) => {
        stats.failed += orders.length;
        stats.error ??= err instanceof Error ? err : new Error(String(err));
      },
    ).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  };

  for await (const line of lines) {
    if (signal?.aborted) {
      stats.interrupted = true;
      break;
    }
    stats.lines++;
    if (line.trim() === "") {
      stats.blank++;
      continue;
    }
    const result = parseOrderJson(line);
    if (!result.ok) {
      stats.rejected++;
      log.warn("line rejected", {
        line: stats.lines,
        reason: formatProblems(result.problems),
        problems: result.problems,
      });
      continue;
    }
    stats.valid++;
    batch.push(result.order);
    if (batch.length >= batchSize) {
      await send(batch);
      batch = [];
    }
    if (stats.error) break;
  }
  if (!stats.error) await send(batch);
  await Promise.all(inFlight);
  return stats;
}
