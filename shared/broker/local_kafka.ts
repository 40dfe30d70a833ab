/**
 * A real Apache Kafka broker (KRaft, single node) run as a local JVM
 * process, for machines without Docker. The jars come from Maven Central
 * through `mvn` (scripts/kafka/pom.xml) into a git-ignored cache; the broker
 * gets free loopback ports, its own data folder and a log file whose path
 * every failure prints. The same cache runs Kafka's own CLI tools
 * (topics, console consumer, producer/consumer perf tools).
 *
 * @example
 * ```ts
 * import { startLocalKafka } from "./local_kafka.ts";
 * import { createLogger } from "../log.ts";
 * const broker = await startLocalKafka({ log: createLogger({ name: "kafka" }) });
 * console.log(broker.bootstrap); // 127.0.0.1:40123
 * await broker.stop();
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Logger } from "../log.ts";

/** Kafka pinned for the local broker: the newest 4.x fully on Maven Central. */
export const KAFKA_VERSION = "4.3.1";

const POM = fromFileUrl(new URL("../../scripts/kafka/pom.xml", import.meta.url));

/** The default cache: `.cache/` at the repository root, or KAFKA_CACHE_DIR. */
export function defaultCacheDir(): string {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("KAFKA_CACHE_DIR");
  } catch { /* not permitted: use the default */ }
  return fromEnv ?? fromFileUrl(new URL("../../.cache", import.meta.url));
}

/** A missing prerequisite or a failed step, said in one sentence. */
export class LocalKafkaError extends Error {
  constructor(message: string, readonly logFile?: string) {
    super(logFile ? `${message} (log: ${logFile})` : message);
    this.name = "LocalKafkaError";
  }
}

/** Settings of one single-node KRaft broker. Pure input to the files below. */
export interface BrokerLayout {
  nodeId: number;
  port: number;
  controllerPort: number;
  dataDir: string;
}

/**
 * The broker's server.properties: combined broker+controller, loopback only,
 * internal topics sized for one node and small enough to create quickly.
 */
export function brokerProperties(l: BrokerLayout): string {
  return [
    "process.roles=broker,controller",
    `node.id=${l.nodeId}`,
    `controller.quorum.voters=${l.nodeId}@127.0.0.1:${l.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${l.port},CONTROLLER://127.0.0.1:${l.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${l.port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${l.dataDir}`,
    // Every topic is declared in shared/topics.ts; a typo must not create one.
    "auto.create.topics.enable=false",
    "num.partitions=1",
    "default.replication.factor=1",
    "min.insync.replicas=1",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=3",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=3",
    // A single member need not wait for others to join.
    "group.initial.rebalance.delay.ms=0",
    // Transactions left open by a SIGKILLed producer are aborted sooner.
    "transaction.max.timeout.ms=900000",
    "log.segment.bytes=67108864",
    "num.network.threads=2",
    "num.io.threads=4",
    "",
  ].join("\n");
}

/** A log4j2 configuration writing everything at INFO to one file. */
export function log4jConfig(logFile: string): string {
  return [
    "Configuration:",
    "  Appenders:",
    "    File:",
    "      name: FILE",
    `      fileName: "${logFile}"`,
    "      PatternLayout:",
    '        pattern: "[%d] %p %m (%c)%n"',
    "  Loggers:",
    "    Logger:",
    "      - name: kafka.request.logger",
    "        level: WARN",
    "    Root:",
    "      level: INFO",
    "      AppenderRef:",
    "        - ref: FILE",
    "",
  ].join("\n");
}

/** A KRaft cluster id: 16 random bytes, base64url without padding. */
export function newClusterId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Where a provisioned Kafka lives in the cache. */
export interface KafkaInstall {
  version: string;
  libsDir: string;
  /** The `-cp` argument: every jar of the install. */
  classpath: string;
}

function installOf(cacheDir: string, version: string): KafkaInstall {
  const libsDir = join(cacheDir, "kafka", version, "libs");
  return { version, libsDir, classpath: join(libsDir, "*") };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function commandWorks(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Checks for Java; says what to install when it is missing. */
export async function requireJava(): Promise<void> {
  if (!await commandWorks("java", ["-version"])) {
    throw new LocalKafkaError(
      "Java 17 or newer is needed to run the local Kafka broker: install a JDK or JRE " +
        "(e.g. `apt-get install openjdk-17-jre-headless`), or set KAFKA_BROKERS to an existing cluster",
    );
  }
}

/**
 * Makes sure the Kafka jars are in the cache, fetching them with Maven the
 * first time (progress goes to `log`). Warm calls only check a marker file.
 */
export async function provisionKafka(options: {
  log: Logger;
  cacheDir?: string;
  version?: string;
}): Promise<KafkaInstall> {
  const version = options.version ?? KAFKA_VERSION;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const install = installOf(cacheDir, version);
  const marker = join(install.libsDir, ".complete");
  if (await exists(marker)) return install;

  await requireJava();
  if (!await commandWorks("mvn", ["-v"])) {
    throw new LocalKafkaError(
      "Maven (`mvn`) is needed once, to fetch Apache Kafka from Maven Central: install it " +
        "(e.g. `apt-get install maven`), or set KAFKA_BROKERS to an existing cluster",
    );
  }
  await Deno.mkdir(install.libsDir, { recursive: true });
  const logFile = join(cacheDir, "kafka", version, "provision.log");
  const started = performance.now();
  options.log.info("fetching Apache Kafka from Maven Central (first run only)", {
    version,
    into: install.libsDir,
  });
  const child = new Deno.Command("mvn", {
    args: [
      "-B",
      "-f",
      POM,
      `-Dkafka.version=${version}`,
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${install.libsDir}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const file = await Deno.open(logFile, { write: true, create: true, truncate: true });
  let downloaded = 0;
  let lastReport = performance.now();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      await file.write(chunk);
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      downloaded += lines.filter((l) => l.includes("Downloaded from")).length;
      if (performance.now() - lastReport > 2000) {
        lastReport = performance.now();
        options.log.info("fetching Apache Kafka", { filesDownloaded: downloaded });
      }
    }
  };
  const [status] = await Promise.all([child.status, pump(child.stdout), pump(child.stderr)]);
  file.close();
  if (!status.success) {
    throw new LocalKafkaError(
      `Maven could not fetch Apache Kafka ${version} (is Maven Central reachable?)`,
      logFile,
    );
  }
  await Deno.writeTextFile(marker, new Date().toISOString() + "\n");
  options.log.info("Apache Kafka fetched", {
    version,
    filesDownloaded: downloaded,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  });
  return install;
}

/** A free TCP port on loopback (the OS picks; we close and reuse it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The file a running broker's owner touches, so others can tell it lives. */
const HEARTBEAT = "heartbeat";
const HEARTBEAT_EVERY_MS = 5_000;
const HEARTBEAT_STALE_MS = 60_000;

/** Whether `pid` runs (a zombie, killed but not yet reaped, does not). */
function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Touches `dir`'s heartbeat every few seconds until stopped; never keeps the process alive. */
function heartbeat(dir: string): () => void {
  const path = join(dir, HEARTBEAT);
  const beat = () => {
    try {
      Deno.writeTextFileSync(path, `${Date.now()}\n`);
    } catch { /* the folder is being removed */ }
  };
  beat();
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

function ageMs(path: string): number {
  try {
    return Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
  } catch {
    return Infinity;
  }
}

function readPid(path: string): number | undefined {
  try {
    const n = Number(Deno.readTextFileSync(path).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops brokers whose owning process died without stopping them (a test run
 * killed with SIGKILL, say) and removes their folders. A broker is only
 * killed if its command line names its own run folder, so an unrelated
 * process that reused the pid is left alone.
 */
export async function sweepOrphans(runsDir: string, log: Logger): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(runsDir)];
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(runsDir, entry.name);
    // A fresh heartbeat means the owner lives, even where its pid is not
    // visible (another pid namespace); a folder that has none yet may be a
    // start in progress elsewhere.
    if (ageMs(join(dir, HEARTBEAT)) < HEARTBEAT_STALE_MS || ageMs(dir) < HEARTBEAT_STALE_MS) {
      continue;
    }
    const owner = readPid(join(dir, "owner.pid"));
    if (owner !== undefined && isAlive(owner)) continue;
    const broker = readPid(join(dir, "broker.pid"));
    if (broker !== undefined && isAlive(broker)) {
      let cmdline = "";
      try {
        cmdline = Deno.readTextFileSync(`/proc/${broker}/cmdline`);
      } catch { /* gone meanwhile */ }
      if (cmdline.includes(dir)) {
        log.warn("stopping a broker left running by a dead process", { pid: broker, dir });
        try {
          Deno.kill(broker, "SIGKILL");
        } catch { /* gone meanwhile */ }
      }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export interface LocalKafkaOptions {
  log: Logger;
  cacheDir?: string;
  version?: string;
  /** Broker port; 0 (default) picks a free one. */
  port?: number;
  /** JVM heap in MiB; small by default, the machine is shared with tests. */
  heapMb?: number;
  /** How long to wait for the broker to answer. */
  startTimeoutMs?: number;
}

/** A running local broker. */
export interface LocalKafka {
  readonly bootstrap: string;
  readonly pid: number;
  readonly logFile: string;
  readonly runDir: string;
  readonly install: KafkaInstall;
  /** Milliseconds from spawn until the broker answered. */
  readonly startMs: number;
  /** SIGTERM (a controlled shutdown), SIGKILL after `graceMs`; removes the data. */
  stop(graceMs?: number): Promise<void>;
}

/** The line KafkaRaftServer logs once broker and controller both serve. */
const STARTED_LINE = "Kafka Server started";

/**
 * Whether the broker logged that it started. A TCP connect is not enough:
 * something else may hold the port while our broker fails to bind it.
 */
async function hasStarted(logFile: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(logFile)).includes(STARTED_LINE);
  } catch {
    return false;
  }
}

async function tail(path: string, lines = 15): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

async function java(install: KafkaInstall, args: string[], logFile: string): Promise<void> {
  const out = await new Deno.Command("java", {
    args: ["-Xmx256m", "-cp", install.classpath, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  await Deno.writeTextFile(logFile, text, { append: true });
  if (!out.success) {
    throw new LocalKafkaError(`\`${args.slice(0, 2).join(" ")}\` failed`, logFile);
  }
}

/**
 * Provisions (if needed), formats and starts a single-node KRaft broker on
 * a free loopback port, and resolves once it accepts connections.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  const { log } = options;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const install = await provisionKafka({ log, cacheDir, version: options.version });
  await requireJava();
  const runsDir = join(cacheDir, "kafka", "runs");
  await sweepOrphans(runsDir, log);

  const runDir = join(runsDir, `${Date.now().toString(36)}-${Deno.pid}`);
  const dataDir = join(runDir, "data");
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(join(runDir, "owner.pid"), `${Deno.pid}\n`);
  const stopHeartbeat = heartbeat(runDir);
  const logFile = join(runDir, "broker.log");
  const layout: BrokerLayout = {
    nodeId: 1,
    port: options.port || freePort(),
    controllerPort: freePort(),
    dataDir,
  };
  const propsFile = join(runDir, "server.properties");
  const log4jFile = join(runDir, "log4j2.yaml");
  await Deno.writeTextFile(propsFile, brokerProperties(layout));
  await Deno.writeTextFile(log4jFile, log4jConfig(logFile));
  await java(
    install,
    // `--cluster-id=`: an id may start with "-", which would read as a flag.
    ["kafka.tools.StorageTool", "format", `--cluster-id=${newClusterId()}`, "-c", propsFile],
    logFile,
  );

  const heap = options.heapMb ?? 512;
  const started = performance.now();
  let stopping: Promise<void> | undefined;
  // `sh -c exec` hands stdout/stderr to the log file directly, so the broker
  // does not depend on this process to drain a pipe.
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$@" >>"$BROKER_LOG" 2>&1',
      "sh",
      "java",
      `-Xmx${heap}m`,
      "-Xms64m",
      "-XX:+UseSerialGC",
      `-Dlog4j2.configurationFile=${log4jFile}`,
      `-Dkafka.logs.dir=${runDir}`,
      "-cp",
      install.classpath,
      "kafka.Kafka",
      propsFile,
    ],
    env: { BROKER_LOG: logFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await Deno.writeTextFile(join(runDir, "broker.pid"), `${child.pid}\n`);
  let exited: Deno.CommandStatus | undefined;
  const status = child.status.then((s) => {
    exited = s;
    if (!stopping) {
      // Said now, with the log's end: the folder may be gone by the time anyone looks.
      void tail(logFile, 20).then((lastLines) =>
        log.error("the local Kafka broker exited unexpectedly", {
          code: s.code,
          signal: s.signal,
          logFile,
          lastLines,
        })
      );
    }
    return s;
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  while (!(await hasStarted(logFile))) {
    if (exited) {
      throw new LocalKafkaError(
        `the local Kafka broker exited during start-up with code ${exited.code}:\n${await tail(
          logFile,
        )}`,
        logFile,
      );
    }
    if (Date.now() > deadline) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      throw new LocalKafkaError("the local Kafka broker did not start in time", logFile);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const startMs = Math.round(performance.now() - started);
  const bootstrap = `127.0.0.1:${layout.port}`;
  log.info("local Kafka broker started", {
    version: install.version,
    bootstrap,
    pid: child.pid,
    startMs,
    logFile,
  });

  return {
    bootstrap,
    pid: child.pid,
    logFile,
    runDir,
    install,
    startMs,
    stop(graceMs = 30_000) {
      stopping ??= (async () => {
        if (!exited) {
          try {
            child.kill("SIGTERM");
          } catch { /* already gone */ }
          const timer = setTimeout(() => {
            log.warn("broker did not stop in time, killing it", { pid: child.pid });
            try {
              child.kill("SIGKILL");
            } catch { /* already gone */ }
          }, graceMs);
          await status;
          clearTimeout(timer);
        }
        stopHeartbeat();
        // The log outlives the run folder, for failures noticed afterwards.
        const kept = await keepLog(cacheDir, runDir, logFile);
        log.info("local Kafka broker stopped", { pid: child.pid, log: kept, code: exited?.code });
        await Deno.remove(runDir, { recursive: true }).catch(() => {});
      })();
      return stopping;
    },
  };
}

/** Copies a run's broker log to `<cache>/kafka/logs/`, keeping the newest ten. */
async function keepLog(cacheDir: string, runDir: string, logFile: string): Promise<string> {
  const logsDir = join(cacheDir, "kafka", "logs");
  const kept = join(logsDir, `${basename(runDir)}.log`);
  try {
    await Deno.mkdir(logsDir, { recursive: true });
    await Deno.copyFile(logFile, kept);
    const old = [...Deno.readDirSync(logsDir)].map((e) => e.name).sort().slice(0, -10);
    for (const name of old) await Deno.remove(join(logsDir, name)).catch(() => {});
  } catch { /* keeping the log is a courtesy */ }
  return kept;
}

/** Kafka's own command-line tools, by the name of their shell script. */
export const KAFKA_TOOLS = {
  "kafka-topics": "org.apache.kafka.tools.TopicCommand",
  "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
  "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
  "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
  "kafka-transactions": "org.apache.kafka.tools.TransactionsCommand",
  "kafka-producer-perf-test": "org.apache.kafka.tools.ProducerPerformance",
  "kafka-consumer-perf-test": "org.apache.kafka.tools.ConsumerPerformance",
} as const;
export type KafkaToolName = keyof typeof KAFKA_TOOLS;

/**
 * Builds the command that runs one of Kafka's tools from the cache, e.g.
 * `kafkaTool(install, "kafka-topics", ["--bootstrap-server", b, "--list"])`.
 */
export function kafkaTool(
  install: KafkaInstall,
  tool: KafkaToolName,
  args: string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  return new Deno.Command("java", {
    ...options,
    args: [
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-Dlog4j2.level=WARN",
      "-cp",
      install.classpath,
      KAFKA_TOOLS[tool],
      ...args,
    ],
  });
}
