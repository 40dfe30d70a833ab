/**
 * The local Apache Kafka, by hand: fetch it, run a cluster in the
 * foreground, print or apply the ACL table, or run one of Kafka's own tools
 * from the same cache.
 *
 *   deno task kafka provision                      # fetch the jars (first run only)
 *   deno task kafka start [--port 9092]            # one broker until Ctrl-C
 *   deno task kafka start --nodes 3 --secure       # three nodes, SASL_SSL, ACLs per script
 *   deno task kafka acls                           # the ACL table, and kafka-acls lines
 *   deno task kafka acls --apply                   # grant it (KAFKA_* as an administrator)
 *   deno task kafka tool kafka-topics --bootstrap-server 127.0.0.1:9092 --list
 *
 * Permissions: --allow-run=java,mvn,sh,openssl --allow-read --allow-write
 * --allow-net=127.0.0.1 --allow-env
 * @module
 */
import { kafkaPrincipals } from "../services.ts";
import { adminConnection, setUpPipeline } from "../../shared/dev/cluster_setup.ts";
import { defineConfig } from "../../shared/platform/config.ts";
import { createAdmin } from "../../shared/kafka/client.ts";
import { kafkaConnectionFrom, kafkaFlags } from "../../shared/kafka/connection.ts";
import { createLogger, logLevelFlag } from "../../shared/platform/log.ts";
import { shutdownSignal, untilAborted } from "../../shared/platform/shutdown.ts";
import { aclBindings, aclCommandLines, aclTable, applyAcls } from "../../shared/kafka/acls.ts";
import { describeKafkaError } from "../../shared/kafka/errors.ts";
import {
  KAFKA_TOOLS,
  KAFKA_VERSION,
  kafkaTool,
  type KafkaToolName,
  LocalKafkaError,
  nodesFlag,
  provisionKafka,
  startLocalKafka,
} from "../../shared/dev/broker/local_kafka.ts";
import { portFlag } from "../../shared/platform/port_flag.ts";

const USAGE = `local_kafka <provision|start|acls|tool NAME [ARGS...]> [flags]

  provision   fetch Apache Kafka ${KAFKA_VERSION} from Maven Central into the cache
  start       run a KRaft cluster (--nodes, --secure) in the foreground until Ctrl-C
  acls        print every script's ACLs (principal = script name) and the kafka-acls
              lines that grant them; --apply grants them on KAFKA_BROKERS as an administrator
  tool NAME   run one of Kafka's tools: ${Object.keys(KAFKA_TOOLS).join(", ")}`;

const config = defineConfig({
  name: "local_kafka",
  summary: "a local Apache Kafka cluster and tools, fetched with Maven; the ACL table",
  usage: USAGE,
  flags: {
    port: portFlag(
      "LOCAL_KAFKA_PORT",
      9092,
      "the first node's client port for `start` (0 = any free port)",
    ),
    nodes: nodesFlag(
      "LOCAL_KAFKA_NODES",
      "nodes for `start`, each a broker and a KRaft voter (3: replication 3, ISR 2)",
    ),
    secure: {
      type: "boolean",
      env: "LOCAL_KAFKA_SECURE",
      description: "`start`: SASL_SSL with SCRAM-SHA-512, a local CA, ACLs, a principal per script",
    },
    mtls: {
      type: "boolean",
      env: "LOCAL_KAFKA_MTLS",
      description: "`start --secure`: clients must also present a certificate (mutual TLS)",
    },
    heapMb: {
      type: "number",
      integer: true,
      min: 128,
      default: 512,
      env: "LOCAL_KAFKA_HEAP_MB",
      description: "JVM heap per node in MiB",
    },
    apply: { type: "boolean", description: "`acls`: grant the table on KAFKA_BROKERS" },
    commandConfig: {
      type: "string",
      description: "`acls`: the admin client properties file the printed kafka-acls lines name",
    },
    cacheDir: { type: "string", env: "KAFKA_CACHE_DIR", description: "where the jars are kept" },
    ...kafkaFlags,
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
    case "acls":
      return await acls(cfg, log);
    case "start": {
      const { signal, dispose } = shutdownSignal(log);
      const principals = kafkaPrincipals().map((p) => p.principal);
      const cluster = await startLocalKafka({
        log,
        cacheDir: cfg.cacheDir,
        port: cfg.port,
        nodes: cfg.nodes,
        heapMb: cfg.heapMb,
        secure: cfg.secure ? { principals, mutualTls: cfg.mtls } : undefined,
        restartOnCrash: true,
      });
      if (cluster.security) await setUpPipeline(await adminConnection(cluster), log);
      console.log(
        [
          `Kafka ${KAFKA_VERSION}: ${cfg.nodes} node(s) on ${cluster.bootstrap}` +
          (cluster.security ? " (SASL_SSL, SCRAM-SHA-512, ACLs)" : ""),
          ...(cluster.security
            ? [
              `  CA: ${cluster.security.caFile}`,
              `  credentials (administrator and one principal per script): ${cluster.security.credentialsFile}`,
              `  Kafka tools as administrator: --command-config ${cluster.security.adminPropertiesFile}`,
            ]
            : []),
          `  nodes (pids, logs): ${cluster.manifestFile}`,
          "  a killed node restarts on its own data; Ctrl-C stops the cluster",
        ].join("\n"),
      );
      await untilAborted(signal);
      await cluster.stop();
      dispose();
      return 0;
    }
    default:
      console.error(`Usage: ${USAGE}\nRun with --help to see every flag.`);
      return 2;
  }
}

/** Prints the ACL table and its kafka-acls lines; with --apply, grants it. */
async function acls(cfg: ReturnType<typeof config.load>, log: ReturnType<typeof createLogger>) {
  const bindings = kafkaPrincipals().flatMap(aclBindings);
  const bootstrap = cfg.brokers?.join(",") ?? "BOOTSTRAP";
  if (!cfg.apply) {
    console.log(aclTable(bindings));
    console.log("\n# The same, for kafka-acls on your own cluster:");
    console.log(
      aclCommandLines(bindings, {
        bootstrap,
        commandConfig: cfg.commandConfig ?? "admin.properties",
      }).join("\n"),
    );
    return 0;
  }
  const connection = config.orExit(() => kafkaConnectionFrom(cfg, { clientId: "local_kafka" }));
  const admin = createAdmin({ ...connection, retries: 2 });
  try {
    await applyAcls(admin, bindings);
    log.info("ACLs granted", { bindings: bindings.length, brokers: bootstrap });
    return 0;
  } catch (err) {
    console.error(`local_kafka: ${describeKafkaError(err, connection)}`);
    return 1;
  } finally {
    await admin.close().catch(() => {});
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
