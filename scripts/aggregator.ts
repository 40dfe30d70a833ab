/**
 * The aggregator: live statistics of the pipeline, exactly once across
 * restarts. It reads `orders`, `order_status`, `clicks`, and every retry
 * (`…-retry-<n>`) and dead-letter (`…-dlq`) topic, keeps running figures
 * (orders and average price overall and per type, sales and revenue, status
 * counts, retries and dead letters by reason class, orders per minute, top
 * products, most-viewed products in a sliding window, view-to-order
 * conversion), and commits its state together with its input offsets in one
 * Kafka transaction to the compacted `order_stats` topic. It serves the
 * dashboard's snapshot on `GET /stats` and `GET /stats/stream` (SSE).
 *
 * The pieces: shared/aggregate/ (aggregator_config.ts its flags,
 * aggregator_service.ts what it serves and runs, fold.ts what each figure
 * counts, snapshot.ts the snapshot's JSON, aggregator_loop.ts why a restart
 * counts nothing twice). See scripts/services.ts for the exact permissions:
 *
 *   deno run --allow-net --allow-env=… scripts/aggregator.ts --help
 *
 * One instance at a time: a second one with the same transactional id fences
 * the first, which stops.
 * @module
 */
import { runAggregatorService } from "../shared/aggregate/aggregator_service.ts";

if (import.meta.main) Deno.exit(await runAggregatorService());
