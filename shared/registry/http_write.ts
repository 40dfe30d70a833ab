/**
 * The registry's writes, one at a time: ids and versions are assigned from
 * the state the previous write left, and that state must already be durable.
 * Each write brings the journal up to date, plans the command against the
 * state, writes its records and only then applies them, so an answer never
 * promises what is not stored. A journal failure is Confluent's 50001.
 *
 * @example
 * ```ts
 * import { serialWrites } from "./http_write.ts";
 * import { planSetConfig, RegistryState } from "./state.ts";
 * const state = new RegistryState();
 * const write = serialWrites(state, { sync: async () => {}, append: async () => {} });
 * await write(() => planSetConfig(null, "FULL"));
 * state.effectiveLevel(null); // "FULL"
 * ```
 * @module
 */
import {
  ErrorCode,
  type LogRecord,
  type Plan,
  RegistryError,
  type RegistryState,
} from "./state.ts";

/** Runs a planned write: durable first, then applied; resolves with the plan's result. */
export type Write = <T>(plan: () => Plan<T>) => Promise<T>;

/** Where the registry's records become durable (the Kafka topic, in production). */
export interface SchemaJournal {
  /** Brings `state` up to date before a write, e.g. re-reads the log after a failed append. */
  sync(state: RegistryState): Promise<void>;
  /** Writes records durably, in order; resolves only once they are stored. */
  append(records: readonly LogRecord[]): Promise<void>;
}

/** The {@linkcode Write} of `state` through `journal`, one write after another. */
export function serialWrites(state: RegistryState, journal: SchemaJournal): Write {
  let writes: Promise<unknown> = Promise.resolve();
  return <T>(plan: () => Plan<T>): Promise<T> => {
    const run = () => writeNow(state, journal, plan);
    const result = writes.then(run, run);
    writes = result.catch(() => {});
    return result;
  };
}

async function writeNow<T>(
  state: RegistryState,
  journal: SchemaJournal,
  plan: () => Plan<T>,
): Promise<T> {
  let planned: Plan<T>;
  try {
    await journal.sync(state);
    planned = plan();
    if (planned.records.length > 0) await journal.append(planned.records);
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    throw new RegistryError(
      ErrorCode.storeError,
      `Error in the backend data store: ${(err as Error).message}`,
    );
  }
  for (const record of planned.records) state.apply(record);
  return planned.result;
}
