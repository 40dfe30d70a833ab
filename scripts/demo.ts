/**
 * `deno task demo`: one command that brings the pipeline's services up on
 * this machine. Today that is the foundation: a broker (KAFKA_BROKERS, else
 * Testcontainers, else a local Apache Kafka fetched with Maven), every
 * declared topic, and our Confluent-compatible schema registry; it prints
 * where they are and waits for Ctrl-C (or `--duration`), then stops them in
 * order. The producers, consumers, aggregator and dashboard join as their
 * issues land.
 *
 *   deno run --allow-net --allow-env --allow-read --allow-write \
 *     --allow-run=java,mvn,sh scripts/demo.ts [--duration 60]
 * @module
 */
import { defineConfig } from "../shared/config.ts";
import { createKafka } from "../shared/kafka.ts";
import { createLogger, logLevelFlag } from "../shared/log.ts";
import { shutdownSignal, sleep } from "../shared/shutdown.ts";
import { ensureTopics, TOPICS } from "../shared/topics.ts";
import { provideBroker } from "../shared/broker/provide.ts";
import { waitUntilReady } from "../shared/broker/ready.ts";
import { startRegistry } from "../shared/registry/server.ts";

const config = defineConfig({
  name: "demo",
  summary: "bring the pipeline up on this machine and keep it running",
  flags: {
    duration: {
      type: "number",
      min: 0,
      default: 0,
      env: "DEMO_DURATION",
      description: "seconds to run before stopping by itself; 0 runs until Ctrl-C",
    },
    registryPort: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      default: 8081,
      env: "SCHEMA_REGISTRY_PORT",
      description: "port of the schema registry (0 = any free port)",
    },
    logLevel: logLevelFlag,
  },
});

async function main(): Promise<number> {
  const cfg = config.load();
  const log = createLogger({ name: "demo", level: cfg.logLevel });
  const { signal, dispose } = shutdownSignal(log);
  const stack: { name: string; stop: () => Promise<void> }[] = [];
  try {
    const broker = await provideBroker({ log });
    stack.push({ name: "broker", stop: () => broker.stop() });
    const kafka = createKafka({ brokers: broker.brokers, clientId: "demo" }, log);
    await waitUntilReady(kafka, log);

    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, Object.values(TOPICS), log);
    await admin.disconnect();

    const registry = await startRegistry({
      kafka,
      topic: TOPICS.schemas.name,
      hostname: "127.0.0.1",
      port: cfg.registryPort,
      log: log.child({ component: "registry" }),
    });
    stack.push({ name: "schema registry", stop: () => registry.close() });

    console.log(
      [
        "",
        "Order pipeline: services are up",
        `  Kafka            ${broker.brokers.join(",")}  (${broker.kind}: ${broker.reason})`,
        broker.local ? `  Kafka log        ${broker.local.logFile}` : undefined,
        `  Schema registry  ${registry.url}`,
        `  Topics           ${Object.values(TOPICS).map((t) => t.name).join(", ")}`,
        "",
        "  The producers, consumers, aggregator and dashboard are not part of the demo yet.",
        cfg.duration > 0
          ? `  Stopping by itself in ${cfg.duration} s.`
          : "  Ctrl-C stops everything.",
        "",
      ].filter((l) => l !== undefined).join("\n"),
    );

    await sleep(cfg.duration > 0 ? cfg.duration * 1000 : 2 ** 31 - 1, signal);
    return 0;
  } catch (err) {
    log.error("demo failed", { error: err });
    return 1;
  } finally {
    for (const part of stack.reverse()) {
      await part.stop().catch((err) => log.warn("stop failed", { part: part.name, error: err }));
      log.info("stopped", { part: part.name });
    }
    dispose();
  }
}

Deno.exit(await main());
