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
import { createKafka, type KafkaConnection, kafkaLogger } from "../../shared/kafka/client.ts";
import type {} from "kafkajs";
import { createLogger, type Logger, logLevelFlag } from "../../shared/platform/log.ts";
import { shutdownSignal, sleep } from "../../shared/platform/shutdown.ts";
import { pipelineTopics } from "../topology.ts";
import { ensureTopics, TOPICS } from "../../shared/kafka/topics.ts";
import { DEFAULT_CATALOG } from "../../shared/orders/catalog.ts";
import { openStore } from "../../shared/store/open_store.ts";
import {
  defaultCacheDir,
  type LocalKafka,
  nodesFlag,
  startLocalKafka,
} from "../../shared/dev/broker/local_kafka.ts";
import { newPassword } from "../../shared/dev/broker/cluster_security.ts";
import { ensureCertificateAuthority, issueCertificate } from "../../shared/dev/certs.ts";
import { basicAuthUser } from "../../shared/platform/basic_auth.ts";
import { provideBroker } from "../../shared/dev/broker/provide.ts";
import { waitUntilReady } from "../../shared/dev/broker/ready.ts";
import { startRegistry } from "../../shared/registry/server.ts";
import { DELIVERY_ROUTE, INVENTORY_ROUTE } from "../../shared/router/routing_spec.ts";
import { startProcess, type SupervisedProcess } from "../../shared/dev/supervisor.ts";
import {
  type DemoMetricsUrls,
  figures,
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
  type DemoManifest,
  demoManifestPath,
  writeDemoManifest,
} from "../../shared/dev/demo_manifest.ts";

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
    await waitUntilReady(createKafka(admin, log.withLevel("error")), log);
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

/** With --secure: the logins and the certificate of the registry and the HTTP surfaces. */
interface DemoSecurity {
  caFile: string;
  /** JSON (mode 600) with every login below and where Kafka's credentials are. */
  credentialsFile: string;
  /** The gateway's, status service's and dashboard's basic auth. */
  http: { username: string; password: string };
  /** The registry's basic auth, given to every registry client. */
  registry: { username: string; password: string };
  /** The certificate (127.0.0.1, localhost) the registry and the HTTP surfaces serve. */
  tls: { certFile: string; keyFile: string };
}

/**
 * Generates the passwords and issues the certificate from the cluster's CA
 * (its `pki` folder), so that one CA file is trusted everywhere.
 */
async function prepareDemoSecurity(cluster: LocalKafka, dir: string): Promise<DemoSecurity> {
  const security = cluster.security!;
  const ca = await ensureCertificateAuthority(join(security.dir, "pki"));
  const cert = await issueCertificate(ca, {
    name: "demo-https",
    hosts: ["127.0.0.1", "localhost"],
  });
  const http = { username: "demo", password: newPassword() };
  const registry = { username: "demo-scripts", password: newPassword() };
  const credentialsFile = join(dir, "credentials.json");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(credentialsFile).catch(() => {});
  await Deno.writeTextFile(
    credentialsFile,
    JSON.stringify(
      { http, registry, caFile: ca.certFile, kafkaCredentialsFile: security.credentialsFile },
      null,
      2,
    ) + "\n",
    { mode: 0o600 },
  );
  return {
    caFile: ca.certFile,
    credentialsFile,
    http,
    registry,
    tls: { certFile: cert.certFile, keyFile: cert.keyFile },
  };
}

/** The env of an HTTP surface (shared/platform/http_guard.ts flags) for basic auth and TLS. Pure. */
function httpSurfaceEnv(
  prefix: string,
  security: DemoSecurity | undefined,
): Record<string, string> {
  if (!security) return {};
  return {
    [`${prefix}_BASIC_AUTH`]: `${security.http.username}:${security.http.password}`,
    [`${prefix}_TLS_CERT_FILE`]: security.tls.certFile,
    [`${prefix}_TLS_KEY_FILE`]: security.tls.keyFile,
  };
}

/** The env of a registry client (shared/kafka/registry_connection.ts). Pure. */
function registryClientEnv(security: DemoSecurity | undefined): Record<string, string> {
  if (!security) return {};
  return {
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO:
      `${security.registry.username}:${security.registry.password}`,
    SCHEMA_REGISTRY_SSL_CA_FILE: security.caFile,
  };
}

async function main(): Promise<number> {
  const cfg = config.load();
  const log = createLogger({ name: "demo", level: cfg.logLevel });
  const external = Deno.env.get("KAFKA_BROKERS")?.trim();
  if (external && (cfg.nodes > 1 || cfg.secure)) {
    console.error(
      `demo: --nodes ${cfg.nodes}${cfg.secure ? " --secure" : ""} starts a local cluster of its ` +
        `own, and KAFKA_BROKERS is set (${external}): unset KAFKA_BROKERS, or drop those flags`,
    );
    return 1;
  }
  const { signal, dispose } = shutdownSignal(log);
  const stack: { name: string; stop: () => Promise<unknown> }[] = [];
  const logDir = join(defaultCacheDir(), "demo");
  const manifestFile = demoManifestPath(defaultCacheDir());
  const processes: SupervisedProcess[] = [];
  // Set once everything has started; each write waits for the one before.
  let manifest: Omit<DemoManifest, "state" | "processes" | "updatedAt"> | undefined;
  let manifestWrites = Promise.resolve();
  const writeManifest = (state: DemoManifest["state"]) => {
    const base = manifest;
    if (!base) return manifestWrites;
    manifestWrites = manifestWrites.then(() =>
      writeDemoManifest(manifestFile, {
        ...base,
        state,
        updatedAt: new Date().toISOString(),
        processes: processes.map((p) => ({
          name: p.name,
          pid: p.pid,
          restarts: p.restarts,
          logFile: p.logFile,
        })),
      })
    ).catch((err) => log.warn("cannot write the run manifest", { manifestFile, error: err }));
    return manifestWrites;
  };
  let code = 0;
  try {
    const provided = await provideKafka(cfg, log);
    stack.push({ name: "broker", stop: () => provided.stop() });
    const { brokers, cluster } = provided;
    const kafka = createKafka(provided.admin, kafkaLogger(log));
    await waitUntilReady(kafka, log);

    if (!cluster) {
      const admin = kafka.admin();
      await admin.connect();
      // The retry and dead-letter topics too, so that the aggregator, which
      // finds them by pattern, reads them from its first moment.
      await ensureTopics(admin, pipelineTopics(), log);
      await admin.disconnect();
    }
    const security = cluster?.security ? await prepareDemoSecurity(cluster, logDir) : undefined;

    const registry = await startRegistry({
      kafka: createKafka(provided.registry, kafkaLogger(log)),
      topic: TOPICS.schemas.name,
      hostname: "127.0.0.1",
      port: cfg.registryPort,
      log: log.child({ component: "registry" }),
      users: security
        ? [basicAuthUser(security.registry.username, security.registry.password)]
        : undefined,
      tls: security
        ? {
          cert: await Deno.readTextFile(security.tls.certFile),
          key: await Deno.readTextFile(security.tls.keyFile),
        }
        : undefined,
    });
    stack.push({ name: "schema registry", stop: () => registry.close() });

    // A fresh embedded database each run, unless DATABASE_URL names one.
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
        await store.setStock(product.sku, cfg.initialStock);
      }
    }
    await store.close();

    const registryEnv = registryClientEnv(security);
    const start = async (entry: string, args: string[], env: Record<string, string> = {}) => {
      const name = scriptByEntry(entry)?.name;
      const p = await startProcess({
        entry,
        args: ["--brokers", brokers, ...args],
        logDir,
        // On a secured cluster each script connects as its own principal: its catalog name.
        env: { ...(name && cluster?.security?.clientEnv(name)), ...env },
        restartOnCrash: true,
        onRestart: () => void writeManifest("running"),
        log,
      });
      processes.push(p);
      log.info("started", { part: p.name, pid: p.pid, log: p.logFile });
      stack.push({ name: p.name, stop: () => p.stop() });
      return p;
    };
    // Each script the table gives a demo part, in the table's order (the load last).
    const run: DemoRun = {
      registryUrl: registry.url,
      databaseUrl,
      statusInterval: cfg.statusInterval,
      failureRate: cfg.failureRate,
      load: cfg.load ? { rate: cfg.rate, mix: cfg.mix, invalidRate: cfg.invalidRate } : undefined,
      ports: {
        dashboard: cfg.dashboard ? cfg.dashboardPort : undefined,
        status: cfg.statusPort,
        gateway: cfg.gatewayPort,
      },
      registryEnv,
      httpEnv: (prefix) => httpSurfaceEnv(prefix, security),
    };
    for (const script of SCRIPTS) {
      const part = script.demo?.(run);
      if (part) await start(script.entry, part.args, part.env);
    }
    manifest = {
      version: 1,
      demoPid: Deno.pid,
      clusterManifest: cluster?.manifestFile,
      brokers,
      registryUrl: registry.url,
      databaseUrl,
      secure: security !== undefined,
      caFile: security?.caFile,
      credentialsFile: security?.credentialsFile,
    };
    await writeManifest("running");

    const web = security ? "https" : "http";
    console.log([
      "",
      "Order pipeline demo: running",
      `  Kafka             ${brokers}  (${provided.description})`,
      ...(cluster
        ? [`  Kafka nodes       ${cluster.manifestFile}  (pids; a killed node restarts)`]
        : []),
      `  Schema registry   ${registry.url}`,
      `  Order gateway     ${web}://127.0.0.1:${cfg.gatewayPort}/orders  (POST JSON orders)`,
      `  Order status      ${web}://127.0.0.1:${cfg.statusPort}/orders/<id>`,
      cfg.dashboard
        ? `  Dashboard         ${web}://127.0.0.1:${cfg.dashboardPort}/  (live; replay dead letters there)`
        : "  Dashboard         none (--no-dashboard)",
      `  Statistics        ${STATS_URL}  (the aggregator; scripts/terminal_dashboard.ts shows it in a terminal)`,
      `  Database          ${store.location}  (${cfg.initialStock} units of each product to start)`,
      `  Metrics           ${Object.values(METRICS).join("  ")}`,
      cfg.load
        ? `  Load              ${cfg.rate} orders/s, mix ${cfg.mix}, ${
          cfg.invalidRate * 100
        }% invalid`
        : "  Load              none (--no-load)",
      `  Logs              ${logDir}/`,
      `  Run manifest      ${manifestFile}  (pids and restarts; a killed script restarts)`,
      ...(security
        ? [
          "",
          "  Security          each script connects to Kafka as its own principal (its name), " +
          "SASL_SSL + SCRAM-SHA-512, ACLs",
          `  HTTP login        ${security.http.username}:${security.http.password}  ` +
          "(gateway, order status, dashboard)",
          `  CA file           ${security.caFile}  (Kafka, the registry, the HTTP surfaces; ` +
          "curl --cacert)",
          `  Credentials       ${security.credentialsFile}  (HTTP and registry logins; ` +
          `Kafka's: ${cluster!.security!.credentialsFile})`,
        ]
        : []),
      "",
      `  Failures          ${
        cfg.failureRate * 100
      }% of the consumers' attempts fail on purpose and are retried`,
      "  DLQ replayer      deno run ... scripts/dlq_replayer.ts list --topic orders-dlq (see README)",
      cfg.duration > 0
        ? `  Stopping by itself in ${cfg.duration} s.`
        : "  Ctrl-C stops everything.",
      "",
    ].join("\n"));

    // Run until the duration ends, a signal comes, or a process dies.
    const deadline = cfg.duration > 0 ? Date.now() + cfg.duration * 1000 : Infinity;
    const died = Promise.race(processes.map((p) => p.exited.then((status) => ({ p, status }))));
    let failure: { p: SupervisedProcess; status: Deno.CommandStatus } | undefined;
    died.then((f) => (failure = f));
    while (!signal.aborted && !failure && Date.now() < deadline) {
      await sleep(Math.min(cfg.statusInterval * 1000, Math.max(0, deadline - Date.now())), signal);
      if (!failure) log.info("status", await figures(METRICS, STATS_URL));
    }
    // Taken now: stopping the generator below ends a process too, on purpose.
    const crashed = failure as typeof failure;
    if (crashed) {
      log.error("a process stopped unexpectedly; stopping the demo", {
        process: crashed.p.name,
        code: crashed.status.code,
        log: crashed.p.logFile,
      });
      code = 1;
    }
    // A clean end: stop the load, let the producers drain what was sent.
    const generator = processes.find((p) => p.name === "order_generator");
    if (!crashed) {
      await generator?.stop();
      await drain(kafka, log, AGGREGATOR.kafka!.groups![0]);
    }
    const generated = generator ? await generatorTotals(generator.logFile) : undefined;
    const final = {
      ordersGenerated: generated?.sent ?? 0,
      ...await figures(METRICS, STATS_URL),
      otherTypesGenerated: generated
        ? generated.sent - (generated.byType.inventory ?? 0) - (generated.byType.delivery ?? 0)
        : 0,
    };
    console.log(
      "\nFinal figures\n" +
        Object.entries(final).map(([k, v]) => `  ${k.padEnd(22)} ${v}`).join("\n") + "\n",
    );
    const stats = crashed ? undefined : await finalStatistics(STATS_URL);
    if (stats) console.log(stats);
    return code;
  } catch (err) {
    log.error("demo failed", { error: err });
    return 1;
  } finally {
    await writeManifest("stopping");
    // Newest first: the load stops before what consumes it, the broker last.
    for (const part of stack.reverse()) {
      await part.stop().catch((err) => log.warn("stop failed", { part: part.name, error: err }));
      log.info("stopped", { part: part.name });
    }
    await writeManifest("stopped");
    dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
