/**
 * The delivery data consumer (group `delivery-tracker`): drives each
 * delivery through its lifecycle (scheduled → dispatched → in_transit →
 * delivered, or failed) in a real database (embedded SQLite, or PostgreSQL
 * when DATABASE_URL says so). A routed delivery order on `delivery_orders`
 * schedules it; carrier updates on `delivery_events` move it on. An
 * impossible transition is refused with a reason and published as a
 * `rejected` status event; the partition keeps moving. Status changes go
 * to `order_status` in Kafka transactions with the consumed offsets, so the
 * status stream has no gaps and no duplicates after a crash: see
 * shared/effects/effect_consumer.ts. The inventory data consumer is the
 * same program with other effects.
 *
 *   deno run --allow-net --allow-env --allow-read --allow-write consumers/delivery_data_consumer.ts --help
 *
 * (See scripts/services.ts for the exact flags.)
 * @module
 */
import { DELIVERY_EFFECTS } from "../shared/effects/delivery_effects.ts";
import { CONSUMERS } from "../scripts/topology.ts";
import { runDataConsumer } from "./data_consumer.ts";

if (import.meta.main) {
  Deno.exit(
    await runDataConsumer({
      effects: DELIVERY_EFFECTS,
      summary:
        "tracks each delivery through its lifecycle, refusing impossible steps, exactly once",
      ...CONSUMERS.delivery,
      defaultMetricsPort: 9104,
    }),
  );
}
