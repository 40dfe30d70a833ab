/**
 * The inventory data consumer (group `inventory-sync`): applies the stock
 * movements of `inventory_orders` to the stock in a real database (embedded
 * SQLite, or PostgreSQL when DATABASE_URL says so). A reservation that
 * would take stock below zero is refused, never applied, and the refusal is
 * published on `order_status`. Each line's effect is applied exactly once,
 * even after a crash or a rebalance: see shared/effects/effect_consumer.ts.
 * The delivery data consumer is the same program with other effects.
 *
 *   deno run --allow-net --allow-env --allow-read --allow-write consumers/inventory_data_consumer.ts --help
 *
 * (See scripts/services.ts for the exact flags.)
 * @module
 */
import { INVENTORY_EFFECTS } from "../shared/effects/inventory_effects.ts";
import { CONSUMERS } from "../scripts/topology.ts";
import { runDataConsumer } from "./data_consumer.ts";

if (import.meta.main) {
  Deno.exit(
    await runDataConsumer({
      effects: INVENTORY_EFFECTS,
      summary: "applies stock movements to the stock database, never overselling, exactly once",
      ...CONSUMERS.inventory,
      defaultMetricsPort: 9103,
    }),
  );
}
