/**
 * The inventory data consumer (group `inventory-sync`): applies the stock
 * movements of `inventory_orders` to the stock in a real database (embedded
 * SQLite, or PostgreSQL when DATABASE_URL says so). A reservation that
 * would take stock below zero is refused, never applied, and the refusal is
 * published on `order_status`; each change of stock is published on
 * `inventory` (Avro, keyed by SKU) in the same transaction. Each line's
 * effect is applied exactly once, even after a crash or a rebalance, and
 * each change published once: see shared/effects/effect_consumer.ts.
 * The delivery data consumer is the same program with other effects.
 *
 *   deno task inventory-data-consumer --help
 *
 * (The full `deno run` line with its narrowest permissions: docs/configuration.md.)
 * @module
 */
import { INVENTORY_EFFECTS } from "../shared/effects/inventory_effects.ts";
import { INVENTORY_EVENT_SCHEMA } from "../shared/orders/inventory_event.ts";
import type { StockMovementEffect } from "../shared/store/store.ts";
import { CONSUMERS } from "../scripts/topology.ts";
import { type DataConsumerSpec, runDataConsumer } from "./data_consumer.ts";

/** This consumer, as the service table (scripts/services.ts) and its start read it. */
export const INVENTORY_DATA_CONSUMER: DataConsumerSpec<StockMovementEffect> = {
  effects: INVENTORY_EFFECTS,
  summary: "applies stock movements to the stock database, never overselling, exactly once",
  ...CONSUMERS.inventory,
  changeLogSchema: INVENTORY_EVENT_SCHEMA,
  defaultMetricsPort: 9103,
};

if (import.meta.main) Deno.exit(await runDataConsumer(INVENTORY_DATA_CONSUMER));
