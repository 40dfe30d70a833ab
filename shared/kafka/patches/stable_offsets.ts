/**
 * A consumer whose group offset fetch waits for open transactions (KIP-447's
 * `require_stable`), as Kafka's Java consumer does under read_committed.
 *
 * Why: an instance of the exactly-once loop commits its consumed offsets in
 * its transaction. Until that transaction ends (and for a moment after
 * `commit()` returns: the coordinator writes the markers afterwards), the
 * offsets are pending. @platformatic/kafka 2.12.1 fetches the group's
 * offsets with `require_stable=false`, and the broker then answers the
 * offset committed before, so a new owner of the partition starts there
 * and processes again what the open transaction is committing. With
 * `require_stable=true` the broker answers UNSTABLE_OFFSET_COMMIT instead,
 * and this consumer waits and asks again until the transaction ends, for
 * at most {@linkcode StableOffsetsSettings.maxWaitMs} in all, then fails
 * with one {@linkcode UnstableOffsetsTimeoutError}.
 *
 * Where: the library asks its `kGetApi` for each protocol API; this class
 * hands the consumer an OffsetFetch that sets the flag, and turns the
 * broker's UNSTABLE_OFFSET_COMMIT into an error the library does not retry
 * (its five retries, each around a whole wait, once stalled a test for
 * half an hour). The wait itself is one loop around `listCommittedOffsets`,
 * the public method the library's stream calls to place a new assignment:
 * one bounded wait per fetch, whoever calls it.
 *
 * @example
 * ```ts
 * import { StableOffsetsConsumer } from "./stable_offsets.ts";
 * const consumer = new StableOffsetsConsumer({
 *   clientId: "demo",
 *   bootstrapBrokers: ["127.0.0.1:9092"],
 *   groupId: "routers",
 * });
 * consumer.stableOffsets.onWait = (wait) => console.log("offsets pending", wait);
 * // const offsets = await consumer.listCommittedOffsets({ topics: [{ topic: "orders", partitions: [0] }] });
 * await consumer.close();
 * ```
 * @module
 */
import {
  type API,
  type Callback,
  type CallbackWithPromise,
  Consumer,
  type ConsumerOptions,
  findErrorBy,
  GenericError,
  kGetApi,
  type ListCommitsOptions,
  type Offsets,
  ProtocolError,
} from "@platformatic/kafka";
import { promisify } from "node:util";
import { requirePatchedPlatformatic } from "./platformatic_version.ts";

/** How long, and how often, one offset fetch waits for open transactions. */
export interface StableOffsetsSettings {
  /**
   * The longest one fetch waits in all. 20 s by default: the loop's
   * transaction timeout (10 s, after which the coordinator aborts a stopped
   * instance's transaction) and a margin for the abort to complete.
   */
  maxWaitMs: number;
  /** The first pause before asking again; each next one doubles, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Told of each pause before it starts, e.g. to log it. */
  onWait?: (wait: UnstableOffsetsWait) => void;
}

/** One pause of a fetch whose offsets were unstable. */
export interface UnstableOffsetsWait {
  groupId: string;
  /** The partitions the broker said have pending transactional offsets. */
  partitions: UnstablePartition[];
  /** 1 for the first pause of this fetch. */
  attempt: number;
  /** How long this fetch has waited so far. */
  waitedMs: number;
  /** How long this pause lasts. */
  delayMs: number;
}

export interface UnstablePartition {
  topic: string;
  partition: number;
}

/** The defaults of {@linkcode StableOffsetsSettings}. */
export const DEFAULT_STABLE_OFFSETS: Readonly<Omit<StableOffsetsSettings, "onWait">> = {
  maxWaitMs: 20_000,
  firstDelayMs: 100,
  maxDelayMs: 500,
};

/** The first OffsetFetch version with `require_stable`. */
export const REQUIRE_STABLE_MIN_VERSION = 7;

const UNSTABLE = "UNSTABLE_OFFSET_COMMIT";

/**
 * How long to pause before asking again, after `attempt` pauses that took
 * `waitedMs` in all; `undefined` once the fetch has waited its limit. A
 * pause never runs past the limit. Pure.
 */
export function nextUnstableDelay(
  attempt: number,
  waitedMs: number,
  settings: Omit<StableOffsetsSettings, "onWait">,
): number | undefined {
  const left = settings.maxWaitMs - waitedMs;
  if (left <= 0) return undefined;
  return Math.min(settings.firstDelayMs * 2 ** attempt, settings.maxDelayMs, left);
}

interface OffsetFetchPartition {
  partitionIndex: number;
  errorCode: number;
}
interface OffsetFetchTopic {
  name: string;
  partitions: OffsetFetchPartition[];
}
/** An OffsetFetch answer: by group from v8, one group's topics at the top before. */
export interface OffsetFetchAnswer {
  groups?: { topics: OffsetFetchTopic[] }[];
  topics?: OffsetFetchTopic[];
}

/** The partitions an OffsetFetch answer says have pending transactional offsets. Pure. */
export function unstablePartitions(answer: OffsetFetchAnswer | undefined): UnstablePartition[] {
  const topics = answer?.groups?.flatMap((g) => g.topics) ?? answer?.topics ?? [];
  return topics.flatMap((t) =>
    t.partitions.filter((p) => p.errorCode === 88).map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
    }))
  );
}

/**
 * The broker's UNSTABLE_OFFSET_COMMIT as the library's own protocol error,
 * but not retriable: the library must hand it back at once, for
 * {@linkcode StableOffsetsConsumer} to wait on; any other error as it was.
 */
export function unstableNotRetried(error: Error | null): Error | null {
  if (!error || !findErrorBy(error, "apiId", UNSTABLE)) return error;
  const response = (error as { response?: OffsetFetchAnswer }).response;
  return new ProtocolError(UNSTABLE, null, {
    canRetry: false,
    unstablePartitions: unstablePartitions(response),
    cause: error,
  });
}

/** The partitions an error from {@linkcode unstableNotRetried} names, or `undefined` for any other error. */
export function unstableIn(error: unknown): UnstablePartition[] | undefined {
  const found = findErrorBy(error as Error, "apiId", UNSTABLE);
  return found ? (found.unstablePartitions as UnstablePartition[] | undefined) ?? [] : undefined;
}

/** A fetch whose offsets stayed pending for longer than it may wait. */
export class UnstableOffsetsTimeoutError extends GenericError {
  constructor(groupId: string, partitions: UnstablePartition[], waitedMs: number, cause: Error) {
    const where = partitions.map((p) => `${p.topic}/${p.partition}`).join(", ") || "its partitions";
    super(
      "PLT_KFK_PROTOCOL",
      `group ${groupId}'s committed offsets on ${where} stayed unstable for ${waitedMs} ms: ` +
        `a transaction that commits offsets for this group is still open (one of a stopped ` +
        `instance ends at its transaction timeout); raise stableOffsets.maxWaitMs above the ` +
        `producers' transaction timeout if that is longer`,
      { apiId: UNSTABLE, apiCode: 88, canRetry: false, groupId, partitions, waitedMs, cause },
    );
  }
}

/** `api` (an OffsetFetch, v7 or later), always asking with `require_stable=true`. */
function stableOffsetFetch(api: API<unknown[], unknown>): API<unknown[], unknown> {
  const call = api as unknown as (...args: unknown[]) => void;
  const stable = (
    connection: unknown,
    groups: unknown,
    _requireStable: unknown,
    ...rest: unknown[]
  ) => {
    const callback = rest.pop() as Callback<unknown>;
    call(connection, groups, true, (error: Error | null, response?: unknown) => {
      callback(unstableNotRetried(error), response);
    });
  };
  return Object.assign(stable, {
    async: promisify(stable),
    key: api.key,
    version: api.version,
  }) as unknown as API<unknown[], unknown>;
}

/**
 * A consumer of bytes whose offset fetch waits for open transactions (see
 * the module doc). Its constructor is the library's; its wait is set on
 * {@linkcode StableOffsetsConsumer.stableOffsets}.
 */
export class StableOffsetsConsumer extends Consumer<Buffer, Buffer, Buffer, Buffer> {
  /** How long one offset fetch waits; change it before the consumer consumes. */
  stableOffsets: StableOffsetsSettings = { ...DEFAULT_STABLE_OFFSETS };

  constructor(options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer>) {
    requirePatchedPlatformatic("stable_offsets.ts");
    super(options);
  }

  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(
    name: string,
    callback: Callback<API<RequestArguments, ResponseType>>,
  ): void {
    if (name !== "OffsetFetch") return super[kGetApi](name, callback);
    super[kGetApi]<unknown[], unknown>(name, (error, api) => {
      if (error || !api) return callback(error);
      if (api.version < REQUIRE_STABLE_MIN_VERSION) {
        // Without the flag the fetch reads past open transactions: the very bug.
        return callback(
          new GenericError(
            "PLT_KFK_UNSUPPORTED_API",
            `the broker offers OffsetFetch up to v${api.version}, and waiting for open ` +
              `transactions (require_stable) needs v${REQUIRE_STABLE_MIN_VERSION}: Kafka 2.5 or later`,
            { canRetry: false },
          ),
        );
      }
      callback(null, stableOffsetFetch(api) as unknown as API<RequestArguments, ResponseType>);
    });
  }

  override listCommittedOffsets(
    options: ListCommitsOptions,
    callback: CallbackWithPromise<Offsets>,
  ): void;
  override listCommittedOffsets(options: ListCommitsOptions): Promise<Offsets>;
  override listCommittedOffsets(
    options: ListCommitsOptions,
    callback?: CallbackWithPromise<Offsets>,
  ): Promise<Offsets> | void {
    const offsets = this.#listStable(options);
    if (!callback) return offsets;
    offsets.then((o) => callback(null, o), (err) => callback(err));
  }

  async #listStable(options: ListCommitsOptions): Promise<Offsets> {
    const started = Date.now();
    for (let attempt = 0;; attempt++) {
      try {
        return await super.listCommittedOffsets(options);
      } catch (err) {
        const partitions = unstableIn(err);
        if (!partitions || this.closed) throw err;
        const waitedMs = Date.now() - started;
        const delayMs = nextUnstableDelay(attempt, waitedMs, this.stableOffsets);
        if (delayMs === undefined) {
          throw new UnstableOffsetsTimeoutError(this.groupId, partitions, waitedMs, err as Error);
        }
        this.stableOffsets.onWait?.({
          groupId: this.groupId,
          partitions,
          attempt: attempt + 1,
          waitedMs,
          delayMs,
        });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}
