/**
 * A Kafka Connect worker in distributed mode, run as a local JVM
 * (`org.apache.kafka.connect.cli.ConnectDistributed`) from the jars
 * ./install.ts fetched. Its properties come from ./connectors.ts
 * (`workerProperties`); its folder (properties, log4j2 config, log) is
 * private to its owner, since the properties may hold SASL secrets. It
 * resolves once the REST API answers; `stop()` sends SIGTERM (Connect
 * stops its connectors and commits their offsets), SIGKILLs after a grace
 * period, and removes the folder. A folder whose owner died (a SIGKILLed
 * script) is swept at the next start: its JVM is killed if it still runs
 * there, and the folder removed; a folder whose JVM died keeps its log
 * until then.
 *
 * @example
 * ```ts ignore
 * import { startConnectWorker } from "./worker.ts";
 * const worker = await startConnectWorker({ log, install, settings });
 * console.log(worker.restUrl); // http://127.0.0.1:8083
 * await worker.stop();
 * ```
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../platform/log.ts";
import type { ConnectInstall } from "./install.ts";
import { workerProperties, type WorkerSettings } from "./connectors.ts";
import { ConnectRest } from "./rest.ts";
import {
  ageMs,
  readPid,
  runsIn,
  sweepOrphans as sweepRunFolders,
  tail,
} from "../dev/run_folders.ts";
import { sleep } from "../platform/shutdown.ts";

/** A running worker. */
export interface ConnectWorker {
  readonly pid: number;
  readonly restUrl: string;
  readonly rest: ConnectRest;
  readonly logFile: string;
  /** Resolves when the JVM exits, with its status. */
  readonly exited: Promise<Deno.CommandStatus>;
  /**
   * SIGTERM, then SIGKILL after `graceMs` (30 s by default); removes the
   * worker's folder unless `keepLog` (after a failure, for its log).
   */
  stop(options?: { graceMs?: number; keepLog?: boolean }): Promise<Deno.CommandStatus>;
}

/** A worker that did not come up, with the end of its log. */
export class ConnectWorkerError extends Error {
  constructor(message: string, readonly logFile: string) {
    super(`${message} (log: ${logFile})`);
    this.name = "ConnectWorkerError";
  }
}

/** log4j2's properties format (Connect's jars have no YAML parser), all at INFO into one file. */
export function workerLog4jConfig(logFile: string): string {
  return [
    "appender.file.type=File",
    "appender.file.name=FILE",
    `appender.file.fileName=${logFile}`,
    "appender.file.layout.type=PatternLayout",
    "appender.file.layout.pattern=[%d] %p %m (%c)%n",
    // The REST server logs every request at INFO: the wait for RUNNING polls it.
    "logger.rest.name=org.apache.kafka.connect.runtime.rest.RestServer",
    "logger.rest.level=WARN",
    "rootLogger.level=INFO",
    "rootLogger.appenderRef.file.ref=FILE",
    "",
  ].join("\n");
}

export interface StartWorkerOptions {
  log: Logger;
  install: ConnectInstall;
  settings: WorkerSettings;
  /** Where the worker's folder goes; a fresh one is made inside. */
  runsDir: string;
  /** How long the REST API may take to answer (the JVM scans the plugins first). */
  startTimeoutMs?: number;
  /** `-Xmx`; 512m by default. */
  heap?: string;
}

/** Kills the JVMs of run folders whose owner died, and removes those folders. */
export function sweepOrphanWorkers(runsDir: string, log: Logger): Promise<void> {
  return sweepRunFolders(runsDir, log, {
    // A folder without an owner yet may be a start in progress.
    mayBeInUse: (dir) => readPid(join(dir, OWNER_PID)) === undefined && ageMs(dir) < 120_000,
    stopLeftovers: (dir, log) => {
      const jvm = readPid(join(dir, WORKER_PID));
      if (jvm !== undefined && runsIn(jvm, dir)) {
        log.warn("stopping a Kafka Connect worker left running by a dead process", { pid: jvm });
        try {
          Deno.kill(jvm, "SIGKILL");
        } catch { /* gone meanwhile */ }
      }
      return Promise.resolve();
    },
  });
}

const OWNER_PID = "owner.pid";
const WORKER_PID = "worker.pid";

/** Starts the worker and waits until its REST API answers. */
export async function startConnectWorker(options: StartWorkerOptions): Promise<ConnectWorker> {
  const { log, install, settings } = options;
  await Deno.mkdir(options.runsDir, { recursive: true });
  await sweepOrphanWorkers(options.runsDir, log);
  const runDir = await Deno.makeTempDir({ dir: options.runsDir, prefix: `${settings.groupId}-` });
  await Deno.writeTextFile(join(runDir, OWNER_PID), `${Deno.pid}\n`);
  const propertiesFile = join(runDir, "worker.properties");
  const log4jFile = join(runDir, "log4j2.properties");
  const logFile = join(runDir, "connect.log");
  await Deno.writeTextFile(propertiesFile, workerProperties(settings), { mode: 0o600 });
  await Deno.writeTextFile(log4jFile, workerLog4jConfig(logFile));
  const child = new Deno.Command("java", {
    args: [
      `-Xmx${options.heap ?? "512m"}`,
      `-Dlog4j2.configurationFile=${log4jFile}`,
      "-cp",
      install.classpath,
      "org.apache.kafka.connect.cli.ConnectDistributed",
      propertiesFile,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await Deno.writeTextFile(join(runDir, WORKER_PID), `${child.pid}\n`);
  const exited = child.status;
  let done = false;
  exited.then(() => done = true);
  const restUrl = `http://${settings.restHost}:${settings.restPort}`;
  const rest = new ConnectRest(restUrl);
  log.info("Kafka Connect worker starting", { pid: child.pid, rest: restUrl, log: logFile });

  /** SIGTERM, SIGKILL after `graceMs`; the folder stays (its log explains a failed start). */
  const terminate = async (graceMs: number) => {
    if (done) return await exited;
    try {
      child.kill("SIGTERM");
    } catch { /* exited meanwhile */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  const stop = async ({ graceMs = 30_000, keepLog = false } = {}) => {
    if (done) return await exited;
    const status = await terminate(graceMs);
    if (!keepLog) await Deno.remove(runDir, { recursive: true }).catch(() => {});
    return status;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  while (!await rest.reachable()) {
    if (done) {
      throw new ConnectWorkerError(
        `the Kafka Connect worker exited while starting:\n${await tail(logFile)}`,
        logFile,
      );
    }
    if (Date.now() > deadline) {
      await terminate(5_000);
      throw new ConnectWorkerError(
        `the Kafka Connect worker's REST API did not answer on ${restUrl} in time:\n${await tail(
          logFile,
        )}`,
        logFile,
      );
    }
    await sleep(500);
  }
  log.info("Kafka Connect worker up", { rest: restUrl });
  return { pid: child.pid, restUrl, rest, logFile, exited, stop };
}
