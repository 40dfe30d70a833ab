/**
 * The dashboard's stock levels: the `inventory` change log followed from
 * its beginning (read_committed, a group of its own that never commits),
 * each value decoded through the schema registry and folded into each
 * SKU's units on hand (../orders/inventory_event.ts), so the panel shows
 * the store's stock without reading the database. Off when the dashboard
 * is given no registry.
 *
 * @example
 * ```ts
 * import { StockSource } from "./stock_source.ts";
 * // const stock = new StockSource(connection, { topic: "inventory", registry, lowStock: 5, log });
 * // await stock.follow(); stock.panel().rows;
 * ```
 * @module
 */
import { FetchIsolationLevels, MessagesStreamModes } from "@platformatic/kafka";
import { createAdmin, createConsumer } from "../kafka/client.ts";
import type { KafkaConnection } from "../kafka/connection.ts";
import { registryClient, wireDecoder } from "../kafka/avro_codec.ts";
import type { RegistryConnection } from "../kafka/registry_connection.ts";
import { consumedMessage } from "../kafka/records.ts";
import { foldStock, parseInventoryEvent, type StockLevel } from "../orders/inventory_event.ts";
import type { Logger } from "../platform/log.ts";
import { markFailed, markOk, type SourceStatus, sourceStatus } from "./source_status.ts";
import { type StockPanel, stockPanel } from "./stock_panel.ts";

/** The consumer group prefix of the stock read, as the dashboard's ACLs grant it. */
export const STOCK_GROUP_PREFIX = "dashboard-stock";

export interface StockSourceOptions {
  topic: string;
  /** Where the values' schemas are; no stock panel without one. */
  registry: RegistryConnection | undefined;
  /** Units at or below which a SKU is marked low. */
  lowStock: number;
  log: Logger;
}

/** Follows the change log; {@linkcode StockSource.panel} is the page's part. */
export class StockSource {
  readonly status: SourceStatus;
  #levels = new Map<string, StockLevel>();
  #changes = 0;
  #stop: (() => Promise<void>) | undefined;

  constructor(readonly connection: KafkaConnection, readonly options: StockSourceOptions) {
    this.status = sourceStatus(options.topic);
    if (!options.registry) {
      markFailed(this.status, "no --registry-url given: the stock panel is off");
    }
  }

  panel(): StockPanel & { topic: string } {
    return {
      ...stockPanel(this.#levels, this.options.lowStock, this.#changes),
      topic: this.options.topic,
    };
  }

  /** Starts following, unless it already does or has no registry; a failure is tried again later. */
  async follow(): Promise<void> {
    const { topic, registry, log } = this.options;
    if (this.#stop || !registry) return;
    const consumer = createConsumer(this.connection, {
      groupId: `${STOCK_GROUP_PREFIX}-${crypto.randomUUID()}`,
    });
    try {
      const admin = createAdmin(this.connection);
      const topics = await admin.listTopics().finally(() => admin.close());
      if (!topics.includes(topic)) throw new Error(`topic ${topic} does not exist yet`);
      const decode = wireDecoder(registryClient(registry));
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.EARLIEST,
        autocommit: false,
        maxWaitTime: 250,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });
      // One record at a time, in order: decoding may wait for the registry.
      let queue = Promise.resolve();
      stream.on("data", (message) => {
        const { value, offset } = consumedMessage(message);
        queue = queue.then(() => this.#fold(decode, value, `${message.partition}/${offset}`));
      });
      stream.on("error", (err) => {
        markFailed(this.status, err);
        log.warn("the stock read stopped", { error: err });
      });
      this.#stop = async () => {
        await stream.close().catch(() => {});
        await consumer.close(true).catch(() => {});
      };
      log.info("following the stock changes", { topic });
      markOk(this.status);
    } catch (err) {
      await consumer.close(true).catch(() => {});
      markFailed(this.status, err);
    }
  }

  async #fold(
    decode: (bytes: Uint8Array) => Promise<Record<string, unknown>>,
    value: Uint8Array | null,
    where: string,
  ): Promise<void> {
    try {
      if (!value) throw new Error("empty record (no value)");
      const event = parseInventoryEvent(await decode(value));
      if ("invalid" in event) throw new Error(event.invalid);
      this.#levels = foldStock(this.#levels, [event]);
      this.#changes++;
      markOk(this.status);
    } catch (err) {
      markFailed(this.status, `${this.options.topic} ${where}: ${(err as Error).message}`);
      this.options.log.warn("a stock change could not be read; the panel skips it", {
        record: where,
        error: err,
      });
    }
  }

  async close(): Promise<void> {
    await this.#stop?.();
    this.#stop = undefined;
  }
}
