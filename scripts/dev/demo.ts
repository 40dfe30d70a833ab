/**
 * `deno task demo`: one command that brings the pipeline up on this machine
 * and drives orders through it:
 *
 * 1. a broker (KAFKA_BROKERS, else Testcontainers, else a local Apache Kafka
 *    fetched with Maven), every declared topic, and our schema registry;
 *    with `--nodes 3` or `--secure` a local cluster of its own (its topics
 *    and ACLs set up by the administrator, shared/dev/cluster_setup.ts);
 * 2. the inventory and delivery producers, the HTTP order gateway and the
 *    load generator, each as its own process under its narrow permissions,
 *    with a log file each, restarted by its supervisor if it crashes or is
 *    killed; a run manifest (shared/dev/demo_manifest.ts) says what runs;
 * 3. a status line every few seconds; on Ctrl-C (or after `--duration`) the
 *    final figures, then everything stops in order, nothing left running.
 *
 * With `--secure` the cluster is SASL_SSL with SCRAM-SHA-512 and ACLs, and
 * each script connects as its own principal (its catalog name); the
 * registry and the HTTP surfaces take basic auth with generated passwords
 * and serve TLS, every certificate from the cluster's CA.
 *
 * The generator sends a share of invalid orders (`--invalid-rate`) so the
 * dead-letter topic has something to show, and a share of the consumers'
 * attempts fail on purpose (`--failure-rate`) so retries do too. The
 * aggregator keeps the live statistics and the web dashboard shows them.
 *
 *   deno run --allow-net --allow-env --allow-read --allow-write \
 *     --allow-run=java,mvn,sh,deno,openssl scripts/dev/demo.ts [--duration 60] [--rate 20] \
 *     [--nodes 3] [--secure]
 * @module
 */
import { join } from "node:path";
import { defineConfig } from "../../shared/platform/config.ts";
import { type KafkaConnection } from "../../shared/kafka/connection.ts";
import { createLogger, type Logger, logLevelFlag } from "../../shared/platform/log.ts";
import { shutdownSignal, sleep } from "../../shared/platform/shutdown.ts";
import { pipelineTopics } from "../topology.ts";
import { ensureTopicsAt, TOPICS } from "../../shared/kafka/topics.ts";
import { DEFAULT_CATALOG } from "../../shared/orders/catalog.ts";
import { openStore } from "../../shared/store/open_store.ts";
import {
  defaultCacheDir,
  type LocalKafka,
  nodesFlag,
  startLocalKafka,
} from "../../shared/dev/broker/local_kafka.ts";
import { provideBroker } from "../../shared/dev/broker/provide.ts";
import { waitUntilReady } from "../../shared/dev/broker/ready.ts";
import { startRegistry } from "../../shared/registry/server.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE } from "../../shared/router/routing_spec.ts";
import { startProcess, type SupervisedProcess } from "../../shared/dev/supervisor.ts";
import {
  type DemoMetricsUrls,
  figures,
  finalFigures,
  finalFiguresText,
  finalStatistics,
  generatorTotals,
} from "../../shared/dev/demo_figures.ts";
import { drain } from "../../shared/dev/demo_drain.ts";
import {
  defaultPort,
  type DemoRun,
  kafkaPrincipals,
  scriptByEntry,
  scriptByName,
  SCRIPTS,
} from "../services.ts";
import { INVENTORY_EFFECTS } from "../../shared/effects/inventory_effects.ts";
import { DELIVERY_EFFECTS } from "../../shared/effects/delivery_effects.ts";
import {
  adminConnection,
  principalConnection,
  setUpPipeline,
} from "../../shared/dev/cluster_setup.ts";
import {
  demoManifestPath,
  demoManifestWriter,
  type DemoRunInfo,
} from "../../shared/dev/demo_manifest.ts";
import {
  type DemoSecurity,
  httpSurfaceEnv,
  prepareDemoSecurity,
  registryClientEnv,
  registryServerSecurity,
} from "../../shared/dev/demo_security.ts";
import { type DemoSummary, demoSummary } from "../../shared/dev/demo_summary.ts";
import { smtpSinkConfig } from "./smtp_sink.ts";

const config = defineConfig({
  name: "demo",
  summary: "bring the pipeline up on this machine and drive orders through it",
  flags: {
    duration: {
      type: "number",
      min: 0,
      default: 0,
      env: "DEMO_DURATION",
      description: "seconds to run before stopping by itself; 0 runs until Ctrl-C",
    },
    rate: {
      type: "number",
      min: 0,
      default: 20,
      env: "DEMO_RATE",
      description: "orders per second from the load generator",
    },
    mix: {
      type: "string",
      default: "inventory=45,delivery=45,return=10",
      description: "order types and their weights",
    },
    invalidRate: {
      type: "number",
      min: 0,
      max: 1,
      default: 0.05,
      description: "share of generated orders made invalid on purpose (they reach the DLQ)",
    },
    failureRate: {
      type: "number",
      min: 0,
      max: 1,
      default: 0.02,
      env: "DEMO_FAILURE_RATE",
      description: "share of the data consumers' attempts that fail on purpose, transiently " +
        "(they are retried after 2 s, 4 s, 8 s; 0 turns it off)",
    },
    dashboard: {
      type: "boolean",
      default: true,
      env: "DEMO_DASHBOARD",
      description: "start the web dashboard (--no-dashboard: the aggregator's /stats only)",
    },
    load: {
      type: "boolean",
      default: true,
      description: "run the load generator (--no-load: only the gateway brings orders)",
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
    gatewayPort: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      default: 8080,
      env: "GATEWAY_PORT",
      description: "port of the HTTP order gateway",
    },
    initialStock: {
      type: "number",
      integer: true,
      min: 0,
      default: 100,
      description: "units of each catalog product in stock at the start (new databases)",
    },
    dashboardPort: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      default: 8084,
      env: "DASHBOARD_PORT",
      description: "port of the web dashboard",
    },
    statusPort: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      default: 8082,
      env: "STATUS_PORT",
      description: "port of the order status service (GET /orders/:id)",
    },
    nodes: nodesFlag(
      "DEMO_NODES",
      "Kafka nodes; above 1 the demo starts a local cluster of its own " +
        "(KAFKA_BROKERS must be unset)",
    ),
    secure: {
      type: "boolean",
      env: "DEMO_SECURE",
      description: "a local cluster with SASL_SSL, SCRAM-SHA-512 and ACLs, each script as its " +
        "own principal; basic auth and TLS on the registry, gateway, status service and dashboard",
    },
    kafkaHeapMb: {
      type: "number",
      integer: true,
      min: 128,
      default: 384,
      env: "LOCAL_KAFKA_HEAP_MB",
      description: "JVM heap per node in MiB, when the demo starts its own cluster",
    },
    statusInterval: {
      type: "number",
      min: 1,
      default: 10,
      description: "seconds between status lines",
    },
    logLevel: logLevelFlag,
  },
});

/** The aggregator's snapshot and consumer group (its row of the service table). */
const AGGREGATOR = scriptByName("aggregator")!;
const STATS_URL = `http://127.0.0.1:${defaultPort(AGGREGATOR, "httpPort")}/stats`;

/** Where a script of the table serves `/metrics` by default. */
const metricsUrl = (name: string) =>
  `http://127.0.0.1:${defaultPort(scriptByName(name)!, "metricsPort")}/metrics`;

const METRICS: DemoMetricsUrls = {
  inventory: metricsUrl(INVENTORY_ROUTE.script),
  delivery: metricsUrl(DELIVERY_ROUTE.script),
  inventoryConsumer: metricsUrl(INVENTORY_EFFECTS.script),
  deliveryConsumer: metricsUrl(DELIVERY_EFFECTS.script),
};

/** The embedded registry's principal: the registry script's catalog name. */
const REGISTRY_PRINCIPAL = scriptByEntry("scripts/schema_registry.ts")!.name;

/** The Kafka the demo runs on: found or provided, or a local cluster of its own. */
interface DemoKafka {
  /** Bootstrap servers, comma-separated. */
  brokers: string;
  /** What it is and why, for the summary. */
  description: string;
  /** The administrator (the demo's own topic checks, lag reads, figures). */
  admin: KafkaConnection;
  /** The embedded registry, as its own principal on a secured cluster. */
  registry: KafkaConnection;
  /** The cluster the demo started, when it started one. */
  cluster?: LocalKafka;
  stop(): Promise<void>;
}

/**
 * One node and no --secure: whatever provideBroker finds (KAFKA_BROKERS,
 * Testcontainers, a local broker). Otherwise a local cluster of the demo's
 * own, restarting its nodes when they die, its topics and ACLs set up by
 * the administrator.
 */
async function provideKafka(
  cfg: { nodes: number; secure: boolean; kafkaHeapMb: number },
  log: Logger,
): Promise<DemoKafka> {
  if (cfg.nodes === 1 && !cfg.secure) {
    const broker = await provideBroker({ log });
    const connection = { brokers: broker.brokers, clientId: "demo" };
    return {
      brokers: broker.brokers.join(","),
      description: `${broker.kind}: ${broker.reason}`,
      admin: connection,
      registry: connection,
      stop: () => broker.stop(),
    };
  }
  const cluster = await startLocalKafka({
    log,
    nodes: cfg.nodes,
    heapMb: cfg.kafkaHeapMb,
    secure: cfg.secure ? { principals: kafkaPrincipals().map((p) => p.principal) } : undefined,
    restartOnCrash: true,
  });
  try {
    const admin = await adminConnection(cluster);
    await waitUntilReady(admin, log);
    await setUpPipeline(admin, log);
    return {
      brokers: cluster.bootstrap,
      description: `a local cluster of ${cfg.nodes} node(s) the demo started` +
        (cluster.security ? "; SASL_SSL, SCRAM-SHA-512, ACLs, a principal per script" : ""),
      admin,
      registry: await principalConnection(cluster, REGISTRY_PRINCIPAL),
      cluster,
      stop: () => cluster.stop(),
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Something the demo started, and how to stop it. */
interface StartedPart {
  name: string;
  stop: () => Promise<unknown>;
}

type DemoConfig = ReturnType<typeof config.load>;

async function main(): Promise<number> {
  const cfg = config.load();
  const log = createLogger({ name: "demo", level: cfg.logLevel });
  const conflict = brokersConflict(cfg, Deno.env.get("KAFKA_BROKERS")?.trim());
  if (conflict) {
    console.error(conflict);
    return 1;
  }
  const { signal, dispose } = shutdownSignal(log);
  const stack: StartedPart[] = [];
  const logDir = join(defaultCacheDir(), "demo");
  const manifestFile = demoManifestPath(defaultCacheDir());
  const processes: SupervisedProcess[] = [];
  const manifest = demoManifestWriter(manifestFile, processes, log);
  try {
    const platform = await startPlatform(cfg, log, logDir, stack);
    const store = await prepareStore(logDir, cfg.initialStock, log);
    await startScripts(demoRun(cfg, platform, store.databaseUrl), {
      brokers: platform.provided.brokers,
      cluster: platform.provided.cluster,
      logDir,
      log,
      processes,
      stack,
      onRestart: () => void manifest.write("running"),
    });
    manifest.begin(runInfo(platform, store.databaseUrl));
    await manifest.write("running");
    console.log(
      demoSummary(summaryOf(cfg, platform, { database: store.location, logDir, manifestFile })),
    );

    const crashed = await runUntilStopped(processes, cfg, signal, log);
    await finish(platform.admin, processes, crashed, log);
    return crashed ? 1 : 0;
  } catch (err) {
    log.error("demo failed", { error: err });
    return 1;
  } finally {
    await manifest.write("stopping");
    await stopNewestFirst(stack, log);
    await manifest.write("stopped");
    dispose();
  }
}

/** Why --nodes or --secure cannot run with KAFKA_BROKERS set (`external`); undefined when they can. */
function brokersConflict(cfg: DemoConfig, external: string | undefined): string | undefined {
  if (!external || !(cfg.nodes > 1 || cfg.secure)) return undefined;
  const flags = `--nodes ${cfg.nodes}${cfg.secure ? " --secure" : ""}`;
  return `demo: ${flags} starts a local cluster of its own, and KAFKA_BROKERS is set ` +
    `(${external}): unset KAFKA_BROKERS, or drop those flags`;
}

/** The demo's platform, up: Kafka with its topics, the --secure logins, the schema registry. */
interface DemoPlatform {
  provided: DemoKafka;
  /** How the administrator connects (topic checks, lag reads, figures). */
  admin: KafkaConnection;
  security?: DemoSecurity;
  registryUrl: string;
}

/** Brings Kafka, its topics and the schema registry up; each goes on `stack` to be stopped. */
async function startPlatform(
  cfg: DemoConfig,
  log: Logger,
  logDir: string,
  stack: StartedPart[],
): Promise<DemoPlatform> {
  const provided = await provideKafka(cfg, log);
  stack.push({ name: "broker", stop: () => provided.stop() });
  await waitUntilReady(provided.admin, log);
  const { cluster } = provided;
  // A cluster of the demo's own has its topics already (cluster_setup.ts). The
  // retry and dead-letter topics are made too, so that the aggregator, which
  // finds them by pattern, reads them from its first moment.
  if (!cluster) await ensureTopicsAt(provided.admin, pipelineTopics(), log);
  const security = cluster?.security ? await prepareDemoSecurity(cluster, logDir) : undefined;
  const registry = await startRegistry({
    connection: provided.registry,
    topic: TOPICS.schemas.name,
    hostname: "127.0.0.1",
    port: cfg.registryPort,
    log: log.child({ component: "registry" }),
    ...await registryServerSecurity(security),
  });
  stack.push({ name: "schema registry", stop: () => registry.close() });
  return { provided, admin: provided.admin, security, registryUrl: registry.url };
}

/**
 * A fresh embedded database each run, unless DATABASE_URL names one; every
 * catalog product not yet in stock gets `initialStock` units.
 */
async function prepareStore(
  logDir: string,
  initialStock: number,
  log: Logger,
): Promise<{ databaseUrl: string; location: string }> {
  const databaseUrl = Deno.env.get("DATABASE_URL") ?? `sqlite:${join(logDir, "store.sqlite")}`;
  if (!Deno.env.get("DATABASE_URL")) {
    await Deno.mkdir(logDir, { recursive: true });
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(join(logDir, `store.sqlite${suffix}`)).catch(() => {});
    }
  }
  const store = await openStore({ url: databaseUrl, log });
  for (const product of DEFAULT_CATALOG.products) {
    if ((await store.stock(product.sku)) === undefined) {
      await store.setStock(product.sku, initialStock);
    }
  }
  await store.close();
  return { databaseUrl, location: store.location };
}

/** What the demo hands each script of the table that has a demo part. */
function demoRun(cfg: DemoConfig, platform: DemoPlatform, databaseUrl: string): DemoRun {
  const { security } = platform;
  return {
    registryUrl: platform.registryUrl,
    databaseUrl,
    statusInterval: cfg.statusInterval,
    failureRate: cfg.failureRate,
    load: cfg.load ? { rate: cfg.rate, mix: cfg.mix, invalidRate: cfg.invalidRate } : undefined,
    ports: {
      dashboard: cfg.dashboard ? cfg.dashboardPort : undefined,
      status: cfg.statusPort,
      gateway: cfg.gatewayPort,
      smtp: smtpSinkConfig.specs.port.default,
    },
    registryEnv: registryClientEnv(security),
    httpEnv: (prefix) => httpSurfaceEnv(prefix, security),
  };
}

/** How the demo starts its scripts, and where it keeps track of them. */
interface ScriptLaunch {
  brokers: string;
  /** The demo's own cluster: with --secure, each script connects as its own principal. */
  cluster?: LocalKafka;
  logDir: string;
  log: Logger;
  /** Each started process goes here, in start order... */
  processes: SupervisedProcess[];
  /** ...and here, to be stopped. */
  stack: StartedPart[];
  /** A crashed process was started again. */
  onRestart(): void;
}

/** Starts each script the table gives a demo part, in the table's order (the load last). */
async function startScripts(run: DemoRun, launch: ScriptLaunch): Promise<void> {
  for (const script of SCRIPTS) {
    const part = script.demo?.(run);
    if (part) await startScript(launch, script.entry, part.args, part.env);
  }
}

/** Starts one script under its supervisor, restarted when it crashes. */
async function startScript(
  launch: ScriptLaunch,
  entry: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  const { log, cluster } = launch;
  const script = scriptByEntry(entry);
  // Only a script that talks to Kafka takes --brokers and credentials (the SMTP sink does not).
  const kafkaName = script?.kafka ? script.name : undefined;
  const p = await startProcess({
    entry,
    args: [...(kafkaName ? ["--brokers", launch.brokers] : []), ...args],
    logDir: launch.logDir,
    // On a secured cluster each script connects as its own principal: its catalog name.
    env: { ...(kafkaName && cluster?.security?.clientEnv(kafkaName)), ...env },
    restartOnCrash: true,
    onRestart: launch.onRestart,
    log,
  });
  launch.processes.push(p);
  log.info("started", { part: p.name, pid: p.pid, log: p.logFile });
  launch.stack.push({ name: p.name, stop: () => p.stop() });
}

/** What the run manifest says of this run besides its processes. */
function runInfo(platform: DemoPlatform, databaseUrl: string): DemoRunInfo {
  const { provided, security } = platform;
  return {
    version: 1,
    demoPid: Deno.pid,
    clusterManifest: provided.cluster?.manifestFile,
    brokers: provided.brokers,
    registryUrl: platform.registryUrl,
    databaseUrl,
    secure: security !== undefined,
    caFile: security?.caFile,
    credentialsFile: security?.credentialsFile,
  };
}

/** What the summary lists, from the flags, the platform and where the demo keeps its files. */
function summaryOf(
  cfg: DemoConfig,
  platform: DemoPlatform,
  files: { database: string; logDir: string; manifestFile: string },
): DemoSummary {
  const { provided, security } = platform;
  const kafkaCredentialsFile = provided.cluster?.security?.credentialsFile;
  return {
    flags: cfg,
    kafka: {
      brokers: provided.brokers,
      description: provided.description,
      clusterManifest: provided.cluster?.manifestFile,
    },
    registryUrl: platform.registryUrl,
    statsUrl: STATS_URL,
    metricsUrls: Object.values(METRICS),
    ...files,
    security: security && kafkaCredentialsFile ? { ...security, kafkaCredentialsFile } : undefined,
  };
}

/** A process that stopped by itself, and how. */
interface Crash {
  p: SupervisedProcess;
  status: Deno.CommandStatus;
}

/**
 * A status line every `statusInterval` s until the duration ends, a signal
 * comes, or a process dies; that process, when one did.
 */
async function runUntilStopped(
  processes: SupervisedProcess[],
  cfg: DemoConfig,
  signal: AbortSignal,
  log: Logger,
): Promise<Crash | undefined> {
  const deadline = cfg.duration > 0 ? Date.now() + cfg.duration * 1000 : Infinity;
  const died = Promise.race(processes.map((p) => p.exited.then((status) => ({ p, status }))));
  let failure: Crash | undefined;
  died.then((f) => (failure = f));
  while (!signal.aborted && !failure && Date.now() < deadline) {
    await sleep(Math.min(cfg.statusInterval * 1000, Math.max(0, deadline - Date.now())), signal);
    if (!failure) log.info("status", await figures(METRICS, STATS_URL));
  }
  // Taken now: stopping the generator at the end ends a process too, on purpose.
  const crashed = failure as Crash | undefined;
  if (crashed) {
    log.error("a process stopped unexpectedly; stopping the demo", {
      process: crashed.p.name,
      code: crashed.status.code,
      log: crashed.p.logFile,
    });
  }
  return crashed;
}

/**
 * The end: after a clean run, stop the load and let the pipeline drain
 * what was sent; then the final figures, and the aggregator's statistics.
 */
async function finish(
  admin: KafkaConnection,
  processes: SupervisedProcess[],
  crashed: Crash | undefined,
  log: Logger,
): Promise<void> {
  const generator = processes.find((p) => p.name === "order_generator");
  if (!crashed) {
    await generator?.stop();
    await drain(admin, log, AGGREGATOR.kafka!.groups![0]);
  }
  const generated = generator ? await generatorTotals(generator.logFile) : undefined;
  console.log(finalFiguresText(finalFigures(generated, await figures(METRICS, STATS_URL))));
  const stats = crashed ? undefined : await finalStatistics(STATS_URL);
  if (stats) console.log(stats);
}

/** Stops what the demo started, newest first: the load before what consumes it, the broker last. */
async function stopNewestFirst(stack: StartedPart[], log: Logger): Promise<void> {
  for (const part of [...stack].reverse()) {
    await part.stop().catch((err) => log.warn("stop failed", { part: part.name, error: err }));
    log.info("stopped", { part: part.name });
  }
}

if (import.meta.main) Deno.exit(await main());
