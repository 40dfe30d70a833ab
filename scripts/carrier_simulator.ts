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
 *   deno run --allow-net --allow-env scripts/carrier_simulator.ts --help
 *
 * (See scripts/services.ts for the exact flags.)
 *
 * Delivery is at least once, like a real webhook: the offsets of a batch of
 * scheduled deliveries are committed after its last update is acknowledged,
 * so after a crash (or a stop mid-batch) the batch's updates are sent again
 * with the same ids, and the delivery consumer recognises them as duplicates.
 * Whether a delivery fails is decided from its order id, so a resend never
 * changes the outcome. The logic is in shared/carrier.ts.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import { createAvroCodec, RegistryError } from "../shared/avro_codec.ts";
import { carrierEventValue, carrierPlan, scheduledDelivery } from "../shared/carrier.ts";
import { createKafka, kafkaConnectionFrom, kafkaLogger } from "../shared/kafka.ts";
import { securityFailureLine } from "../shared/security/kafka_errors.ts";
import { registryConnectionFrom } from "../shared/registry/client_connection.ts";
import { createLogger } from "../shared/log.ts";
import { MetricsRegistry, serveMetrics } from "../shared/metrics.ts";
import { startLagMetrics } from "../shared/lag_metrics.ts";
import {
  DELIVERY_EVENT_SCHEMA,
  DELIVERY_EVENTS_SUBJECT,
} from "../shared/orders/delivery_event_schema.ts";
import { shutdownSignal, sleep } from "../shared/shutdown.ts";
import { ensureTopics, renamed, TOPICS } from "../shared/topics.ts";
import { carrierConfig } from "../shared/carrier/config.ts";

async function main(): Promise<number> {
  const cfg = carrierConfig.load();
  const log = createLogger({ name: "carrier-simulator", level: cfg.logLevel });
  const connection = carrierConfig.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: "carrier-simulator", brokers: ["127.0.0.1:9092"] })
  );
  const registry = carrierConfig.orExit(() => registryConnectionFrom(cfg));
  const shutdown = shutdownSignal(log);
  const metrics = new MetricsRegistry({ script: "carrier_simulator" });
  const m = {
    scheduled: metrics.counter("carrier_deliveries_total", "scheduled deliveries handled", [
      "outcome",
    ]),
    sent: metrics.counter("carrier_updates_sent_total", "carrier updates sent", ["status"]),
    rebalances: metrics.counter("carrier_rebalances_total", "consumer group joins"),
    sendSeconds: metrics.histogram("carrier_send_seconds", "time to send one batch of updates"),
  };
  const totals = { statusEvents: 0, deliveries: 0, updates: 0, failed: 0 };
  let server: ReturnType<typeof serveMetrics> | undefined;
  let progress: ReturnType<typeof setInterval> | undefined;
  try {
    const codec = await createAvroCodec({
      registry,
      subject: DELIVERY_EVENTS_SUBJECT,
      schemas: [DELIVERY_EVENT_SCHEMA],
    });
    const admin = createKafka({ ...connection, retries: 2 }, kafkaLogger(log)).admin();
    await admin.connect();
    await ensureTopics(admin, [
      renamed(TOPICS.orderStatus, cfg.statusTopic),
      renamed(TOPICS.deliveryEvents, cfg.eventsTopic),
    ], log);
    await admin.disconnect();

    server = serveMetrics(metrics, { hostname: cfg.metricsHost, port: cfg.metricsPort });
    log.info("metrics", { url: server.url });

    const kafka = createKafka(connection, kafkaLogger(log));
    const lag = startLagMetrics({
      admin: kafka.admin(),
      metrics,
      groupId: cfg.groupId,
      topics: [cfg.statusTopic],
      log,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({
      groupId: cfg.groupId,
      readUncommitted: false,
      sessionTimeout: cfg.sessionTimeoutMs,
      rebalanceTimeout: Math.max(2 * cfg.sessionTimeoutMs, 10_000),
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.rebalances.inc();
      log.info("rebalanced: partitions assigned", { assignment: e.payload.memberAssignment });
    });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: cfg.statusTopic, fromBeginning: true });
    if (cfg.progressInterval > 0) {
      progress = setInterval(() => log.info("progress", totals), cfg.progressInterval * 1000);
    }
    log.info("carrier simulator running", {
      statusTopic: cfg.statusTopic,
      eventsTopic: cfg.eventsTopic,
      delayMs: cfg.delayMs,
      failureRate: cfg.failureRate,
    });

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (batch.messages.length === 0) return;
        const deliveries = scheduledIn(batch.messages);
        totals.statusEvents += batch.messages.length;
        const plans = deliveries.map((d) => ({
          ...d,
          steps: carrierPlan(d.orderId, { failureRate: cfg.failureRate }),
        }));
        for (let step = 0; step < 3 && plans.length > 0; step++) {
          // Wait the delay in slices, staying in the group and stopping early on a signal.
          const until = Date.now() + cfg.delayMs;
          while (Date.now() < until && !shutdown.signal.aborted) {
            await sleep(Math.min(1000, until - Date.now()), shutdown.signal);
            await heartbeat();
          }
          if (shutdown.signal.aborted || !isRunning() || isStale()) {
            log.info("stopping mid-batch; its updates are sent again on restart", {
              partition: batch.partition,
              deliveries: plans.length,
            });
            return;
          }
          const at = Date.now();
          const messages = plans.map((p) => ({
            key: p.orderId,
            value: codec.encode({ ...carrierEventValue(p.orderId, p.steps[step], at, p.carrier) }),
          }));
          const sendStarted = performance.now();
          await producer.send({ topic: cfg.eventsTopic, acks: -1, messages });
          m.sendSeconds.observe({}, (performance.now() - sendStarted) / 1000);
          for (const p of plans) m.sent.inc({ status: p.steps[step].status });
          totals.updates += plans.length;
        }
        for (const p of plans) {
          const outcome = p.steps[2].status;
          m.scheduled.inc({ outcome });
          if (outcome === "failed") totals.failed++;
        }
        totals.deliveries += plans.length;
        // Every update of the batch is acknowledged: move on, and say so to the group.
        resolveOffset(batch.lastOffset());
        const next = String(Number(batch.lastOffset()) + 1);
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: next },
        ]);
        if (plans.length) {
          log.debug("deliveries done", { partition: batch.partition, count: plans.length });
        }
      },
    });

    await new Promise<void>((resolve) => {
      if (shutdown.signal.aborted) return resolve();
      shutdown.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await consumer.disconnect();
    await producer.disconnect();
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
    if (progress !== undefined) clearInterval(progress);
    await server?.close();
    shutdown.dispose();
  }
}

/** The scheduled deliveries among status messages, each order once. */
function scheduledIn(messages: KafkaMessage[]) {
  const byOrder = new Map<string, { orderId: string; carrier: string }>();
  for (const msg of messages) {
    const d = scheduledDelivery(msg.value);
    if (d) byOrder.set(d.orderId, d);
  }
  return [...byOrder.values()];
}

if (import.meta.main) Deno.exit(await main());
