/**
 * Kafka Connect for the pipeline: a real Connect worker in distributed mode
 * (Apache Kafka's `connect-runtime`, from Maven Central) running two
 * Debezium connectors:
 *
 * - `storefront-outbox`: Debezium's PostgreSQL source with its outbox event
 *   router. A storefront writes its order row and an `orders_outbox` row in
 *   one database transaction; the row becomes a raw order on `orders`, in
 *   the order intake's format, so the routing producers take it like any
 *   other. Exactly once (KIP-618): each batch of records and the replication
 *   slot position they came from commit in one Kafka transaction.
 * - `order-status-report`: Debezium's JDBC sink, `order_status` into the
 *   reporting table `order_status_report`, one row per record, upserted on
 *   the record's topic, partition and offset (so a redelivery writes nothing
 *   new).
 *
 *   deno task connect --source-database-url postgres://postgres@127.0.0.1:5432/shop
 *
 * It fetches the jars once, creates the outbox and reporting tables where
 * they are missing, starts the worker (REST API on loopback), registers both
 * connectors and waits until they run; SIGINT/SIGTERM stop the worker
 * cleanly. When the worker dies, the script exits 1 (a supervisor restarts
 * it; the connectors resume from their committed offsets). Configs:
 * shared/connect/connectors.ts; docs/connect.md.
 * @module
 */
// @ts-types="@types/pg"
import pg from "pg";
import { connectConfig, connectTargets } from "../shared/connect/config.ts";
import {
  type DatabaseAddress,
  DEFAULT_OUTBOX,
  DEFAULT_STATUS_SINK,
  outboxSourceConfig,
  statusReportSchemaSql,
  statusSinkConfig,
  STOREFRONT_SCHEMA_SQL,
} from "../shared/connect/connectors.ts";
import { provisionConnect } from "../shared/connect/install.ts";
import { type ConnectWorker, startConnectWorker } from "../shared/connect/worker.ts";
import { connectorState } from "../shared/connect/rest.ts";
import { createLogger, type Logger } from "../shared/platform/log.ts";
import { MetricsRegistry, serveMetrics } from "../shared/platform/metrics.ts";
import { shutdownSignal, sleep } from "../shared/platform/shutdown.ts";
import { defaultCacheDir } from "../shared/dev/broker/local_kafka.ts";
import { join } from "node:path";

const STATUS_POLL_MS = 5_000;

async function main(): Promise<number> {
  const cfg = connectConfig.load();
  const log = createLogger({ name: "connect", level: cfg.logLevel });
  const targets = connectConfig.orExit(() => connectTargets(cfg));
  const shutdown = shutdownSignal(log);
  const metrics = new MetricsRegistry({ script: "connect" });
  const connectorUp = metrics.gauge(
    "connect_connector_running",
    "1 while the connector and all its tasks run",
    ["connector"],
  );
  const workerUp = metrics.gauge("connect_worker_up", "1 while the worker's REST API answers");
  const server = serveMetrics(metrics, { hostname: cfg.metricsHost, port: cfg.metricsPort });
  log.info("metrics", { url: server.url });
  let worker: ConnectWorker | undefined;
  try {
    const install = await provisionConnect({ log });
    await ensureTables(targets.source, STOREFRONT_SCHEMA_SQL);
    await ensureTables(targets.sink, statusReportSchemaSql(DEFAULT_STATUS_SINK.table));

    worker = await startConnectWorker({
      log,
      install,
      runsDir: join(defaultCacheDir(), "connect", "runs"),
      startTimeoutMs: cfg.startTimeoutMs,
      heap: cfg.heap,
      settings: {
        brokers: cfg.brokers!,
        groupId: cfg.groupId,
        restHost: cfg.restHost,
        restPort: cfg.restPort,
        pluginPath: install.pluginPath,
        replicationFactor: cfg.replicationFactor,
        clientProperties: targets.clientProperties,
      },
    });
    workerUp.set({}, 1);
    const connectors = {
      [DEFAULT_OUTBOX.connector]: outboxSourceConfig({
        ...DEFAULT_OUTBOX,
        database: targets.source,
        ordersTopic: cfg.ordersTopic,
      }),
      [DEFAULT_STATUS_SINK.connector]: statusSinkConfig({
        ...DEFAULT_STATUS_SINK,
        database: targets.sink,
        statusTopic: cfg.statusTopic,
      }),
    };
    for (const [name, config] of Object.entries(connectors)) {
      await worker.rest.putConnector(name, config);
    }
    for (const name of Object.keys(connectors)) {
      await worker.rest.waitRunning(name, {
        timeoutMs: cfg.startTimeoutMs,
        signal: shutdown.signal,
      });
      connectorUp.set({ connector: name }, 1);
    }
    if (!shutdown.signal.aborted) {
      log.info("connectors running", {
        connectors: Object.keys(connectors),
        ordersTopic: cfg.ordersTopic,
        statusTopic: cfg.statusTopic,
        rest: worker.restUrl,
      });
    }

    const died = await watch(worker, Object.keys(connectors), shutdown.signal, log, {
      connectorUp,
      workerUp,
    });
    if (died) {
      log.error("the Kafka Connect worker died; its connectors resume when it starts again", {
        code: died.code,
        signal: died.signal,
        log: worker.logFile,
      });
      return 1;
    }
    const status = await worker.stop();
    log.info("stopped", { workerExit: status.code });
    return 0;
  } catch (err) {
    log.error(err instanceof Error ? err.message : `${err}`, worker && { log: worker.logFile });
    await worker?.stop({ keepLog: true });
    return 1;
  } finally {
    await server.close();
    shutdown.dispose();
  }
}

/** Creates the tables `sql` declares in `database` where they are missing. */
async function ensureTables(database: DatabaseAddress, sql: string): Promise<void> {
  const client = new pg.Client({
    host: database.host,
    port: database.port,
    user: database.user,
    password: database.password,
    database: database.name,
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Until `signal` aborts: polls the connectors' states into the gauges and
 * logs each change. Returns the worker's exit status if it died meanwhile.
 */
async function watch(
  worker: ConnectWorker,
  names: string[],
  signal: AbortSignal,
  log: Logger,
  gauges: {
    connectorUp: ReturnType<MetricsRegistry["gauge"]>;
    workerUp: ReturnType<MetricsRegistry["gauge"]>;
  },
): Promise<Deno.CommandStatus | undefined> {
  let exit: Deno.CommandStatus | undefined;
  worker.exited.then((s) => exit = s);
  const last = new Map<string, string>();
  while (!signal.aborted && !exit) {
    await Promise.race([sleep(STATUS_POLL_MS, signal), worker.exited]);
    if (signal.aborted || exit) break;
    for (const name of names) {
      const status = await worker.rest.status(name).catch(() => undefined);
      gauges.workerUp.set({}, status ? 1 : 0);
      const state = status ? connectorState(status) : undefined;
      gauges.connectorUp.set({ connector: name }, state?.kind === "running" ? 1 : 0);
      const said = state?.kind === "failed" ? `failed: ${state.reason}` : state?.kind ?? "unknown";
      if (last.get(name) !== said) {
        if (state?.kind === "failed") log.error(`connector ${name} ${said}`);
        else if (last.has(name)) log.info("connector state", { connector: name, state: said });
        last.set(name, said);
      }
    }
  }
  return exit;
}

if (import.meta.main) Deno.exit(await main());
