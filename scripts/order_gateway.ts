/**
 * The HTTP order gateway: `POST /orders` (one order or a batch) into the raw
 * `orders` topic, answering 202 with the ids once Kafka acknowledged them,
 * 400 naming each bad field (a batch is all or nothing), 413, 415, and 503
 * with `Retry-After` when Kafka is unreachable; `GET /healthz` and
 * `GET /metrics` on the same port. See shared/intake/intake_http.ts for every answer.
 *
 * With `--auth-token` and/or `--basic-auth` every request but `GET /healthz`
 * needs them (401 otherwise); with `--tls-cert-file` and `--tls-key-file`
 * it serves HTTPS (shared/platform/http_guard.ts).
 *
 * ```sh
 * deno task order-gateway --help
 * ```
 *
 * (Its permissions, flags and ports: docs/configuration.md, from its row
 * in scripts/services.ts.)
 *
 * `--allow-net` is unscoped because brokers hand out their own addresses;
 * `--allow-read` because the TLS files (`--tls-*-file`, `--ssl-*-file`) are
 * wherever the user keeps them.
 *
 * Kafka down at start-up does not stop the gateway: it listens at once,
 * answers 503 (and `/healthz` 503) and keeps reconnecting in the background
 * (0.5 s, doubling to 10 s); once Kafka is back, orders flow again. Kafka
 * going away mid-run turns into 503s: within a second when its port refuses,
 * within `--send-timeout-ms` (5 s) when it hangs; then the same reconnecting.
 *
 * @module
 */
import { createOrderIntake } from "../shared/intake/intake.ts";
import { createGatewayHandler } from "../shared/intake/intake_http.ts";
import { httpServerFrom } from "../shared/platform/http_guard.ts";
import { serveGuarded } from "../shared/platform/http_listen.ts";
import { MetricsRegistry } from "../shared/platform/metrics.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";
import { shutdownSignal, untilAborted } from "../shared/platform/shutdown.ts";
import { gatewayConfig } from "../shared/intake/gateway_config.ts";

async function main(): Promise<number> {
  const { cfg, log, connection } = startKafkaScript(gatewayConfig, { name: "order-gateway" });
  const http = gatewayConfig.orExit(() =>
    httpServerFrom(cfg, { realm: "order_gateway", prefix: "GATEWAY" })
  );
  const metrics = new MetricsRegistry({ script: "order_gateway" });
  const intake = createOrderIntake({
    // Short timeouts and few retries: a caller waits seconds for its 503, not minutes.
    connection: { ...connection, requestTimeoutMs: cfg.sendTimeoutMs, retries: 1 },
    topic: cfg.topic,
    log,
    metrics,
    source: "gateway",
    maxBatch: cfg.maxBatch,
    retries: 2,
    ackTimeoutMs: cfg.sendTimeoutMs,
    sendTimeoutMs: cfg.sendTimeoutMs,
    createTopic: true,
    reconnect: true,
  });
  const shutdown = shutdownSignal(log);
  // Kafka down now is not fatal: the intake logs it once and keeps trying.
  intake.connect().then(
    () => log.info("connected to Kafka", { brokers: connection.brokers, topic: cfg.topic }),
    () => {},
  );
  // /healthz stays open: a liveness probe that says only whether Kafka is connected.
  // /metrics is guarded (order volumes); Prometheus sends the token (`authorization` in a job).
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = gatewayConfig.orExit(() =>
      serveGuarded(
        cfg,
        http,
        createGatewayHandler({
          intake,
          healthy: () => intake.connected,
          metrics,
          log,
          maxBodyBytes: cfg.maxBodyBytes,
          maxBatch: cfg.maxBatch,
        }),
        {
          log,
          message: "order gateway listening",
          path: "/orders",
          open: ["/healthz"],
          fields: { topic: cfg.topic, maxBodyBytes: cfg.maxBodyBytes, maxBatch: cfg.maxBatch },
        },
      )
    );
  } catch (err) {
    log.error("cannot listen", { host: cfg.host, port: cfg.port, error: (err as Error).message });
    await intake.close();
    shutdown.dispose();
    return 1;
  }
  await untilAborted(shutdown.signal);
  // Requests in flight finish (their orders are acknowledged or refused), then the producer goes.
  await server.shutdown();
  await intake.close();
  shutdown.dispose();
  log.info("order gateway stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main());
