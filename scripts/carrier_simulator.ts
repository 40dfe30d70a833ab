/**
 * The carrier simulator: the demo's stand-in for a carrier's webhook. It
 * reads `order_status` (read_committed, group `carrier-simulator`) and, for
 * every delivery that was scheduled, sends what a carrier would report,
 * `--delay-ms` apart: dispatched, in_transit, then delivered, or failed with
 * a reason for a share `--failure-rate` of the deliveries. The updates go
 * Avro-encoded (subject `delivery_events-value`) to `delivery_events`,
 * keyed by order id, with deterministic ids (`<orderId>:<status>`), from an
 * idempotent producer.
 *
 *   deno task carrier-simulator --help
 *
 * (Its permissions, flags and ports: docs/configuration.md, from its row
 * in scripts/services.ts.)
 *
 * Delivery is at least once, like a real webhook: the offsets of a batch of
 * scheduled deliveries are committed after its last update is acknowledged,
 * so after a crash (or a stop mid-batch) the batch's updates are sent again
 * with the same ids, and the delivery consumer recognises them as duplicates.
 * Whether a delivery fails is decided from its order id, so a resend never
 * changes the outcome. The logic is in shared/carrier/carrier.ts and shared/carrier/batches.ts.
 * @module
 */
import { createAvroCodec, RegistryError } from "../shared/kafka/avro_codec.ts";
import {
  carrierMetrics,
  type CarrierTotals,
  createCarrierBatchHandler,
} from "../shared/carrier/batches.ts";
import {
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from "@platformatic/kafka";
import { createAdmin, createConsumer, createProducer } from "../shared/kafka/client.ts";
import { byPartition, consumeBatches } from "../shared/kafka/stream_batches.ts";
import { securityFailureLine } from "../shared/kafka/errors.ts";
import { registryConnectionFrom } from "../shared/kafka/registry_connection.ts";
import { MetricsRegistry, serveMetrics } from "../shared/platform/metrics.ts";
import { startLagMetrics } from "../shared/kafka/lag_metrics.ts";
import {
  DELIVERY_EVENT_SCHEMA,
  DELIVERY_EVENTS_SUBJECT,
} from "../shared/orders/delivery_event_schema.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";
import { startProgressLines } from "../shared/platform/progress_lines.ts";
import { shutdownSignal } from "../shared/platform/shutdown.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../shared/kafka/topics.ts";
import { carrierConfig } from "../shared/carrier/config.ts";

async function main(): Promise<number> {
  const { cfg, log, connection } = startKafkaScript(carrierConfig, {
    name: "carrier-simulator",
    brokers: ["127.0.0.1:9092"],
  });
  const registry = carrierConfig.orExit(() => registryConnectionFrom(cfg));
  const shutdown = shutdownSignal(log);
  const metrics = new MetricsRegistry({ script: "carrier_simulator" });
  const m = carrierMetrics(metrics);
  const totals: CarrierTotals = { statusEvents: 0, deliveries: 0, updates: 0, failed: 0 };
  let server: ReturnType<typeof serveMetrics> | undefined;
  let stopProgress = () => {};
  try {
    const codec = await createAvroCodec({
      registry,
      subject: DELIVERY_EVENTS_SUBJECT,
      schemas: [DELIVERY_EVENT_SCHEMA],
    });
    await ensureTopicsAt(connection, [
      renamed(TOPICS.orderStatus, cfg.statusTopic),
      renamed(TOPICS.deliveryEvents, cfg.eventsTopic),
    ], log);

    server = serveMetrics(metrics, { hostname: cfg.metricsHost, port: cfg.metricsPort });
    log.info("metrics", { url: server.url });

    const lag = startLagMetrics({
      admin: createAdmin(connection),
      metrics,
      groupId: cfg.groupId,
      topics: [cfg.statusTopic],
      log,
    });
    const producer = createProducer(connection, { idempotent: true, acks: -1 });
    const consumer = createConsumer(connection, {
      groupId: cfg.groupId,
      sessionTimeout: cfg.sessionTimeoutMs,
      rebalanceTimeout: Math.max(2 * cfg.sessionTimeoutMs, 10_000),
      heartbeatInterval: Math.max(100, Math.floor(cfg.sessionTimeoutMs / 10)),
    });
    consumer.on("consumer:group:join", (e) => {
      m.rebalances.inc();
      log.info("rebalanced: partitions assigned", { assignment: e.assignments });
    });
    await producer.initIdempotentProducer({});
    const stream = await consumer.consume({
      topics: [cfg.statusTopic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    stopProgress = startProgressLines(log, {
      intervalS: cfg.progressInterval,
      fields: () => totals,
    });
    log.info("carrier simulator running", {
      statusTopic: cfg.statusTopic,
      eventsTopic: cfg.eventsTopic,
      delayMs: cfg.delayMs,
      failureRate: cfg.failureRate,
    });

    const handle = createCarrierBatchHandler({
      codec,
      producer,
      eventsTopic: cfg.eventsTopic,
      delayMs: cfg.delayMs,
      failureRate: cfg.failureRate,
      signal: shutdown.signal,
      log,
      metrics: m,
      totals,
    });
    // Each partition of a batch in parallel; a rebalance while they wait
    // (a new generation) stops them before their next update.
    await consumeBatches(stream, shutdown.signal, async (records) => {
      const generation = consumer.generationId;
      const stale = () => consumer.generationId !== generation;
      await Promise.all(byPartition(records).map((batch) => handle(batch, stale)));
    });

    await stream.close().catch(() => {});
    await consumer.close(true);
    await producer.close();
    await lag.stop();
    log.info("stopped", totals);
    return 0;
  } catch (err) {
    const security = await securityFailureLine(err, { ...connection, groups: [cfg.groupId] });
    if (security) log.error(security);
    else if (err instanceof RegistryError) log.error(err.message);
    else log.error("stopped by an error", { error: err });
    return 1;
  } finally {
    stopProgress();
    await server?.close();
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
