/**
 * The load generator, the demo's source of orders: seeded orders from the
 * product catalog at a steady rate, in a mix of types, into the raw `orders`
 * topic through the intake (batched, idempotent producer). A share of them
 * can be made invalid on purpose (`--invalid-rate`); those are sent as they
 * are, since they exist to exercise the producers' dead-lettering.
 *
 * ```sh
 * deno task order-generator --help
 * ```
 *
 * (Its permissions, flags and ports: docs/configuration.md, from its row
 * in scripts/services.ts.)
 *
 * `--allow-net` is unscoped because brokers hand out their own addresses;
 * `--allow-read` because the TLS files of `--ssl-*-file` are wherever the
 * user keeps them.
 *
 * It logs its seed at start (rerun with `--seed` for the same orders), a
 * progress line every `--progress-interval` seconds, and ends after
 * `--count` orders (or on Ctrl-C, after the sends in flight) by printing its
 * totals as one JSON line on stdout. Exit 1 when Kafka is unreachable at
 * start or a send failed.
 *
 * @module
 */
import { ConfigError } from "../shared/platform/config.ts";
import { createOrderIntake } from "../shared/intake/intake.ts";
import { createProducer } from "../shared/kafka/client.ts";
import { kafkaConnectionFrom } from "../shared/kafka/connection.ts";
import { createLogger } from "../shared/platform/log.ts";
import { MetricsRegistry, serveMetrics } from "../shared/platform/metrics.ts";
import { emptyLoadStats, reportProgress, runOrderLoad } from "../shared/intake/order_load.ts";
import { DEFAULT_CATALOG } from "../shared/orders/catalog.ts";
import { createOrderGenerator, formatMix, MixError, parseMix } from "../shared/orders/generate.ts";
import type {} from "../shared/orders/model.ts";
import { createClickGenerator } from "../shared/orders/clicks.ts";
import { ordersWithClicks } from "../shared/intake/generated_load.ts";
import { connectOrSay } from "../shared/kafka/connect.ts";
import { shutdownSignal } from "../shared/platform/shutdown.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../shared/kafka/topics.ts";
import { generatorConfig } from "../shared/intake/generator_config.ts";

async function main(): Promise<number> {
  const cfg = generatorConfig.load();
  const log = createLogger({ name: "order-generator", level: cfg.logLevel });
  const mix = generatorConfig.orExit(() => {
    try {
      return parseMix(cfg.mix);
    } catch (err) {
      if (err instanceof MixError) throw new ConfigError("mix", `--mix: ${err.message}`);
      throw err;
    }
  });
  const connection = generatorConfig.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: "order-generator" })
  );
  const seed = cfg.seed ?? Date.now();
  const generator = createOrderGenerator({
    seed,
    mix,
    catalog: DEFAULT_CATALOG,
    invalidRate: cfg.invalidRate,
  });
  const metrics = new MetricsRegistry({ script: "order_generator" });
  const intake = createOrderIntake({
    connection,
    topic: cfg.topic,
    log,
    metrics,
    source: "generator",
    maxBatch: cfg.batchSize,
    createTopic: true,
  });
  // Views of the products around each order, on their own idempotent producer.
  const clicks = createClickGenerator({
    seed,
    catalog: DEFAULT_CATALOG,
    viewsPerOrder: cfg.clicksPerOrder,
  });
  const clickProducer = cfg.clicksPerOrder > 0
    ? createProducer(connection, { idempotent: true, acks: -1 })
    : undefined;
  const sink = ordersWithClicks({
    intake,
    clicks,
    producer: clickProducer,
    topic: cfg.clicksTopic,
  });
  const shutdown = shutdownSignal(log);
  try {
    log.info("order generator starting", {
      seed,
      rate: cfg.rate || "unlimited",
      count: cfg.count || "until stopped",
      mix: formatMix(mix),
      invalidRate: cfg.invalidRate,
      topic: cfg.topic,
      clicksPerOrder: cfg.clicksPerOrder,
      clicksTopic: cfg.clicksPerOrder > 0 ? cfg.clicksTopic : undefined,
    });
    const connected = await connectOrSay(
      async () => {
        await intake.connect();
        if (clickProducer) {
          await ensureTopicsAt(connection, [renamed(TOPICS.clicks, cfg.clicksTopic)], log);
          // Its producer id now: Kafka is reached (or refuses) before the first order.
          await clickProducer.initIdempotentProducer({});
        }
      },
      connection,
      log,
    );
    if (!connected) {
      await intake.close();
      await clickProducer?.close();
      return 1;
    }
    const metricsServer = cfg.metricsPort > 0
      ? serveMetrics(metrics, { port: cfg.metricsPort, healthy: () => intake.connected })
      : undefined;
    const stats = emptyLoadStats();
    const stopProgress = reportProgress(stats, cfg.progressInterval * 1000, log);
    const started = performance.now();
    await runOrderLoad({
      sink,
      next: generator.nextSample,
      rate: cfg.rate,
      count: cfg.count,
      batchSize: cfg.batchSize,
      signal: shutdown.signal,
    }, stats);
    stopProgress();
    await intake.close();
    await clickProducer?.close();
    await metricsServer?.close();
    const seconds = (performance.now() - started) / 1000;
    const totals = {
      seed,
      sent: stats.sent,
      invalid: stats.invalid,
      failed: stats.failed,
      byType: stats.byType,
      clicks: sink.clicksSent,
      seconds: Math.round(seconds * 100) / 100,
      ratePerSec: Math.round((stats.sent / Math.max(seconds, 0.001)) * 10) / 10,
    };
    console.log(JSON.stringify(totals));
    if (stats.error) {
      log.error("stopped: a send failed", { error: stats.error.message, ...totals });
      return 1;
    }
    log.info("order generator done", totals);
    return 0;
  } finally {
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
