/**
 * The local Apache Kafka, by hand: fetch it, run a broker in the
 * foreground, or run one of Kafka's own tools from the same cache.
 *
 *   deno task kafka provision                 # fetch the jars (first run only)
 *   deno task kafka start [--port 9092]       # a broker until Ctrl-C
 *   deno task kafka tool kafka-topics --bootstrap-server 127.0.0.1:9092 --list
 *
 * Permissions: --allow-run=java,mvn,sh --allow-read --allow-write
 * --allow-net=127.0.0.1 --allow-env
 * @module
 */
import { defineConfig } from "../shared/config.ts";
import { createLogger, logLevelFlag } from "../shared/log.ts";
import { shutdownSignal } from "../shared/shutdown.ts";
import {
  KAFKA_TOOLS,
  KAFKA_VERSION,
  kafkaTool,
  type KafkaToolName,
  LocalKafkaError,
  provisionKafka,
  startLocalKafka,
} from "../shared/broker/local_kafka.ts";

const USAGE = `local_kafka <provision|start|tool NAME [ARGS...]> [flags]

  provision   fetch Apache Kafka ${KAFKA_VERSION} from Maven Central into the cache
  start       run a single-node KRaft broker in the foreground until Ctrl-C
  tool NAME   run one of Kafka's tools: ${Object.keys(KAFKA_TOOLS).join(", ")}`;

const config = defineConfig({
  name: "local_kafka",
  summary: "a local Apache Kafka broker and tools, fetched with Maven",
  usage: USAGE,
  flags: {
    port: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      default: 9092,
      env: "LOCAL_KAFKA_PORT",
      description: "broker port for `start` (0 = any free port)",
    },
    heapMb: {
      type: "number",
      integer: true,
      min: 128,
      default: 512,
      env: "LOCAL_KAFKA_HEAP_MB",
      description: "broker JVM heap in MiB",
    },
    cacheDir: { type: "string", env: "KAFKA_CACHE_DIR", description: "where the jars are kept" },
    logLevel: logLevelFlag,
  },
});

async function main(): Promise<number> {
  const [command, ...rest] = Deno.args;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(config.help);
    return command === undefined ? 2 : 0;
  }
  if (command === "tool") {
    const [name, ...toolArgs] = rest;
    if (!(name in KAFKA_TOOLS)) {
      console.error(
        `local_kafka: unknown tool "${name}"; one of ${Object.keys(KAFKA_TOOLS).join(", ")}`,
      );
      return 2;
    }
    const install = await provisionKafka({ log: createLogger({ name: "local_kafka" }) });
    const status = await kafkaTool(install, name as KafkaToolName, toolArgs).spawn().status;
    return status.code;
  }
  const cfg = config.load(rest);
  const log = createLogger({ name: "local_kafka", level: cfg.logLevel });
  switch (command) {
    case "provision": {
      const install = await provisionKafka({ log, cacheDir: cfg.cacheDir });
      console.log(install.libsDir);
      return 0;
    }
    case "start": {
      const { signal, dispose } = shutdownSignal(log);
      const broker = await startLocalKafka({
        log,
        cacheDir: cfg.cacheDir,
        port: cfg.port,
        heapMb: cfg.heapMb,
      });
      console.log(
        `Kafka ${KAFKA_VERSION} on ${broker.bootstrap} (log: ${broker.logFile}); Ctrl-C stops it`,
      );
      await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
      await broker.stop();
      dispose();
      return 0;
    }
    default:
      console.error(`Usage: ${USAGE}\nRun with --help to see every flag.`);
      return 2;
  }
}

try {
  Deno.exit(await main());
} catch (err) {
  if (err instanceof LocalKafkaError) {
    console.error(`local_kafka: ${err.message}`);
    Deno.exit(1);
  }
  throw err;
}
