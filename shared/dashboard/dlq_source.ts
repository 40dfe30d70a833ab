/**
 * The dashboard's DLQ panel: the DLQ topics read on demand (one read at a
 * time; a caller during a read gets that read) and replays of one rule,
 * one at a time, each followed by a fresh read. A failed read keeps the last
 * views and says why on each.
 *
 * @example
 * ```ts
 * import { DlqSource } from "./dlq_source.ts";
 * // const dlq = new DlqSource(connection, ["orders.dlq"], { log, readTimeoutMs: 60_000, signal: () => undefined });
 * // await dlq.refresh(); await dlq.replay({ topic: "orders.dlq", rule: "not JSON", force: false });
 * ```
 * @module
 */
import type { KafkaConnection } from "../kafka/connection.ts";
import { listDlq } from "../dlq_replay/grouping.ts";
import { readDlqTopics } from "../dlq_replay/read_dlq.ts";
import type { Logger } from "../platform/log.ts";
import { type DlqTopicView, dlqTopicView, type ReplayRequest } from "./dlq_panel.ts";
import { DLQ_READ_GROUP_PREFIX, replayReason, type ReplaySummary } from "./kafka_io.ts";

export interface DlqSourceOptions {
  log: Logger;
  /** How long a read of the DLQ may go without progress. */
  readTimeoutMs: number;
  /** The dashboard's stop, once it started: it interrupts reads and replays. */
  signal: () => AbortSignal | undefined;
}

/** The DLQ topics' views, the read under way and the last replay. */
export class DlqSource {
  views: DlqTopicView[];
  lastReplay: ReplaySummary | null = null;
  #read: Promise<DlqTopicView[]> | undefined;
  #replaying: Promise<unknown> = Promise.resolve();

  constructor(
    readonly connection: KafkaConnection,
    readonly topics: readonly string[],
    readonly options: DlqSourceOptions,
  ) {
    this.views = topics.map((t) => dlqTopicView(t, undefined, null));
  }

  /** Whether a read is under way. */
  get refreshing(): boolean {
    return this.#read !== undefined;
  }

  /** Reads the DLQ topics again; during a read, that read. Resolves with the views. */
  refresh(): Promise<DlqTopicView[]> {
    this.#read ??= this.#readViews().finally(() => this.#read = undefined);
    return this.#read;
  }

  /** Replays one rule's group (after any replay under way), then reads the DLQ again. */
  replay(request: ReplayRequest): Promise<ReplaySummary> {
    const { log, readTimeoutMs } = this.options;
    const run = this.#replaying.then(() =>
      replayReason(this.connection, request, {
        log,
        idleTimeoutMs: readTimeoutMs,
        signal: this.options.signal(),
      })
    );
    this.#replaying = run.catch(() => {});
    return run.then(async (summary) => {
      this.lastReplay = summary;
      await this.refresh();
      return summary;
    });
  }

  /** Waits for the read and the replays under way, whatever their outcome. */
  async settle(): Promise<void> {
    await this.#read?.catch(() => {});
    await this.#replaying;
  }

  async #readViews(): Promise<DlqTopicView[]> {
    try {
      const contents = await readDlqTopics(this.connection, this.topics, {
        log: this.options.log,
        idleTimeoutMs: this.options.readTimeoutMs,
        groupPrefix: DLQ_READ_GROUP_PREFIX,
        signal: this.options.signal(),
      });
      // Interrupted by the dashboard's stop: the last views stand.
      if (!contents) return this.views;
      const at = new Date();
      this.views = this.topics.map((topic) => {
        const c = contents.get(topic);
        return dlqTopicView(topic, c ? listDlq(c.entries, c.replayed) : undefined, at);
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.views = this.views.map((v) => ({ ...v, error: message }));
    }
    return this.views;
  }
}
