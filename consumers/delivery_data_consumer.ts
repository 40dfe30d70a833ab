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
 *   deno task delivery-data-consumer --help
 *
 * (The full `deno run` line with its narrowest permissions: docs/configuration.md.)
 * @module
 */
import { DELIVERY_EFFECTS, type DeliveryEffect } from "../shared/effects/delivery_effects.ts";
import { CONSUMERS } from "../scripts/topology.ts";
import { type DataConsumerSpec, runDataConsumer } from "./data_consumer.ts";

/** This consumer, as the service table (scripts/services.ts) and its start read it. */
export const DELIVERY_DATA_CONSUMER: DataConsumerSpec<DeliveryEffect> = {
  effects: DELIVERY_EFFECTS,
  summary: "drives each delivery through its lifecycle in the database, exactly once",
  ...CONSUMERS.delivery,
  defaultMetricsPort: 9104,
};

if (import.meta.main) Deno.exit(await runDataConsumer(DELIVERY_DATA_CONSUMER));
