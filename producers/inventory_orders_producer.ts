/**
 * The inventory orders producer: keeps the `inventory` orders of the raw
 * `orders` topic, validates and enriches them, and produces them Avro-encoded
 * to `inventory_orders` inside Kafka transactions that also commit the
 * consumed offsets: each order is visible to `read_committed` readers once.
 * The delivery and inventory producers are one program (./routing_producer.ts)
 * with a different route.
 *
 *   deno task inventory-orders-producer --help
 *
 * (The full `deno run` line with its narrowest permissions: docs/configuration.md.)
 * @module
 */
import { INVENTORY_ROUTE } from "../shared/router/routing_spec.ts";
import { runRoutingProducer } from "./routing_producer.ts";

if (import.meta.main) Deno.exit(await runRoutingProducer(INVENTORY_ROUTE));
