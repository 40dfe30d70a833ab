/**
 * A @platformatic/kafka Consumer whose read_committed reads follow Kafka's
 * rule, where the library's own filter (2.12.1, the private
 * `Consumer#filterUncommittedMessages`) gets three cases wrong:
 *
 * 1. it delivers the records of an aborted transaction whose ABORT marker is
 *    not in the same fetch (a large aborted transaction, or a small fetch
 *    size, or a marker not yet written when the fetch was answered);
 * 2. it keeps one aborted transaction per producer, the last listed, so a
 *    producer that aborted several times in one fetch leaks the others;
 * 3. it skips from that transaction's first offset to the producer's last
 *    ABORT marker in the fetch, so when the list is not in offset order (the
 *    protocol promises none; Java sorts it) a committed transaction of the
 *    same producer between two of its aborted ones is dropped.
 *
 * {@linkcode CommittedConsumer} filters every read_committed Fetch response
 * with {@linkcode committedFetchResponse} (./committed_fetch_filter.ts, the
 * Java consumer's rule) before the library sees it, and empties the aborted
 * lists it has applied, so the library's filter then has nothing to do.
 * The seam is the library's exported `kGetApi` symbol, the method through
 * which every client obtains its protocol APIs: for `Fetch` it hands out
 * the same API with its response filtered. That method is internal, so the
 * constructor refuses any library version but the one this was read
 * against ({@linkcode SUPPORTED_LIBRARY_VERSION}); upgrading means reading
 * `Consumer#fetch` again, and dropping this class once upstream is fixed
 * (tests/committed_fetch_test.ts says when: its assertions that the plain
 * Consumer is wrong start failing).
 *
 * @example
 * ```ts
 * import { CommittedConsumer } from "./committed_fetch.ts";
 * const consumer = new CommittedConsumer({
 *   clientId: "reader",
 *   bootstrapBrokers: ["127.0.0.1:9092"],
 *   groupId: "readers",
 * });
 * // const stream = await consumer.consume({ topics: ["orders"], mode: "earliest" });
 * // for await (const message of stream) ... // committed records only
 * await consumer.close();
 * ```
 * @module
 */
import { FetchIsolationLevels, kGetApi } from "@platformatic/kafka";
import type { API, Callback, ConsumerOptions } from "@platformatic/kafka";
import type { Buffer } from "node:buffer";
import { committedFetchResponse, type FetchedPartition } from "./committed_fetch_filter.ts";
import { requirePatchedPlatformatic } from "./platformatic_version.ts";
import { StableOffsetsConsumer } from "./stable_offsets.ts";

type FetchResponseShape = { responses: { partitions: FetchedPartition[] }[] };

/**
 * The Fetch API, its read_committed responses filtered. Its arguments are
 * the library's (connection, maxWaitMs, minBytes, maxBytes, isolationLevel,
 * ..., callback); Consumer#fetch in 2.12.1 calls the callback form only.
 */
function committedFetchApi(fetch: API<unknown[], unknown>): API<unknown[], unknown> {
  const ISOLATION_LEVEL = 3; // the index of isolationLevel after the connection
  const wrapped = (connection: Parameters<typeof fetch>[0], ...args: unknown[]) => {
    const callback = args.at(-1);
    if (
      typeof callback !== "function" ||
      args[ISOLATION_LEVEL] !== FetchIsolationLevels.READ_COMMITTED
    ) {
      return fetch(connection, ...args);
    }
    fetch(connection, ...args.slice(0, -1), (error: Error | null, response?: unknown) => {
      callback(
        error,
        response ? committedFetchResponse(response as FetchResponseShape) : response,
      );
    });
  };
  return Object.assign(wrapped, { async: fetch.async, key: fetch.key, version: fetch.version });
}

/**
 * The library's Consumer of bytes, reading committed records by Kafka's
 * rule (see the module doc), with stable offsets (./stable_offsets.ts).
 */
export class CommittedConsumer extends StableOffsetsConsumer {
  constructor(options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer>) {
    requirePatchedPlatformatic("committed_fetch.ts");
    super(options);
  }

  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(
    name: string,
    callback: Callback<API<RequestArguments, ResponseType>>,
  ): void {
    super[kGetApi]<RequestArguments, ResponseType>(name, (error, api) => {
      if (error || !api || name !== "Fetch") return callback(error, api);
      callback(
        null,
        committedFetchApi(api as unknown as API<unknown[], unknown>) as unknown as API<
          RequestArguments,
          ResponseType
        >,
      );
    });
  }
}
