/**
 * The order status service: reads the whole `order_status` stream
 * (read_committed) into an in-memory view and answers what happened to an
 * order: `GET /orders/:id` → its current status and every status event, in
 * order; `GET /healthz`; `GET /metrics`. The view and the handler are in
 * shared/order_status/order_status_view.ts, the feed in shared/order_status/feed.ts.
 *
 * With `--auth-token` and/or `--basic-auth` every request but `GET /healthz`
 * needs them (401 otherwise); with `--tls-cert-file` and `--tls-key-file`
 * it serves HTTPS (shared/platform/http_guard.ts).
 *
 *   deno task order-status-service --help
 *
 * (Its permissions, flags and ports: docs/configuration.md, from its row
 * in scripts/services.ts.)
 *
 * Each start reads the stream from the beginning in a consumer group of its
 * own (`<group prefix>-<random>`) and never commits offsets. A group of
 * its own is what a manual assignment would give: every instance reads every partition (the view must know
 * every order), nothing is shared or resumed (the view lives in memory and
 * is rebuilt on each start), and an empty group without offsets is dropped
 * by the broker once the instance leaves.
 * @module
 */
import { httpServerFrom } from "../shared/platform/http_guard.ts";
import { serveGuarded } from "../shared/platform/http_listen.ts";
import { FetchIsolationLevels, MessagesStreamModes } from "@platformatic/kafka";
import { createConsumer } from "../shared/kafka/client.ts";
import { securityFailureLine } from "../shared/kafka/errors.ts";
import { MetricsRegistry } from "../shared/platform/metrics.ts";
import { createStatusHandler, OrderStatusView } from "../shared/order_status/order_status_view.ts";
import { createStatusFeed } from "../shared/order_status/feed.ts";
import { startProgressLines } from "../shared/platform/progress_lines.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";
import { shutdownSignal, untilAborted } from "../shared/platform/shutdown.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../shared/kafka/topics.ts";
import { statusServiceConfig } from "../shared/order_status/config.ts";

async function main(): Promise<number> {
  const { cfg, log, connection } = startKafkaScript(statusServiceConfig, {
    name: "order-status-service",
    brokers: ["127.0.0.1:9092"],
  });
  const http = statusServiceConfig.orExit(() =>
    httpServerFrom(cfg, { realm: "order_status_service", prefix: "STATUS" })
  );
  const shutdown = shutdownSignal(log);
  const metrics = new MetricsRegistry({ script: "order_status_service" });
  const view = new OrderStatusView();
  const feed = createStatusFeed(view, metrics, log);
  let joined = false;
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let stopProgress = () => {};
  try {
    await ensureTopicsAt(connection, [renamed(TOPICS.orderStatus, cfg.statusTopic)], log);

    // /healthz stays open: a liveness probe (whether the view is fed, and how many events).
    // /metrics is guarded like the orders; Prometheus sends the token (`authorization` in a job).
    server = statusServiceConfig.orExit(() =>
      serveGuarded(cfg, http, createStatusHandler({ view, metrics, healthy: () => joined }), {
        log,
        message: "order status service listening",
        path: "/orders/:id",
        open: ["/healthz"],
        fields: { statusTopic: cfg.statusTopic },
      })
    );

    const groupId = `${cfg.groupPrefix}-${crypto.randomUUID().slice(0, 8)}`;
    const consumer = createConsumer(connection, { groupId });
    const stream = await consumer.consume({
      topics: [cfg.statusTopic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
      maxWaitTime: 200,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    joined = true;
    log.info("reading the status stream", { groupId, assignment: consumer.assignments });
    // A stream that fails ends the service (exit 1): a view no longer fed
    // must not answer as if it were.
    const failed = new Promise<unknown>((resolve) => stream.once("error", resolve));
    stream.on(
      "data",
      (m) => feed([{ partition: m.partition, offset: String(m.offset), value: m.value }]),
    );
    stopProgress = startProgressLines(log, {
      intervalS: cfg.progressInterval,
      fields: () => ({
        orders: view.orders,
        events: view.events,
      }),
    });

    const error = await Promise.race([untilAborted(shutdown.signal).then(() => undefined), failed]);
    joined = false;
    await server.shutdown();
    await stream.close().catch(() => {});
    await consumer.close(true).catch(() => {});
    if (error !== undefined) throw error;
    log.info("stopped", { orders: view.orders, events: view.events });
    return 0;
  } catch (err) {
    const security = await securityFailureLine(err, connection);
    if (security) log.error(security);
    else log.error("stopped by an error", { error: err });
    await server?.shutdown();
    return 1;
  } finally {
    stopProgress();
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
