/**
 * A real Apache Kafka broker (KRaft, single node) run as a local JVM
 * process, for machines without Docker. The jars come from Maven Central
 * through `mvn` (scripts/dev/kafka/pom.xml) into a git-ignored cache; the broker
 * gets free loopback ports, its own data folder and a log file whose path
 * every failure prints. The same cache runs Kafka's own CLI tools
 * (topics, console consumer, producer/consumer perf tools).
 *
 * @example
 * ```ts
 * import { startLocalKafka } from "./local_kafka.ts";
 * import { createLogger } from "../../platform/log.ts";
 * const broker = await startLocalKafka({ log: createLogger({ name: "kafka" }) });
 * console.log(broker.bootstrap); // 127.0.0.1:40123
 * await broker.stop();
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Logger } from "../../platform/log.ts";
import { type ClusterSecurity, prepareClusterSecurity } from "./cluster_security.ts";
import { ageMs, exists, readPid, runsIn, sweepOrphans as sweepRunFolders } from "../run_folders.ts";

/** Kafka pinned for the local broker: the newest 4.x fully on Maven Central. */
export const KAFKA_VERSION = "4.4.0";

const POM = fromFileUrl(new URL("../../../scripts/dev/kafka/pom.xml", import.meta.url));

/** The default cache: `.cache/` at the repository root, or KAFKA_CACHE_DIR. */
export function defaultCacheDir(): string {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("KAFKA_CACHE_DIR");
  } catch { /* not permitted: use the default */ }
  return fromEnv ?? fromFileUrl(new URL("../../../.cache", import.meta.url));
}

/** A missing prerequisite or a failed step, said in one sentence. */
export class LocalKafkaError extends Error {
  constructor(message: string, readonly logFile?: string) {
    super(logFile ? `${message} (log: ${logFile})` : message);
    this.name = "LocalKafkaError";
  }
}

/** One node's ports and data folder. Pure input to the files below. */
export interface BrokerLayout {
  nodeId: number;
  /** The clients' listener (PLAINTEXT, or SASL_SSL when secured). */
  port: number;
  controllerPort: number;
  /** The brokers' own listener, mutual TLS; only on a secured cluster. */
  internalPort?: number;
  dataDir: string;
}

/** The files and names a secured node needs (see ./cluster_security.ts). */
export interface NodeSecurity {
  /** PEM: the node's key, its certificate and the CA (Kafka's PEM keystore). */
  keystoreFile: string;
  /** PEM: the CA every peer and client certificate is checked against. */
  truststoreFile: string;
  /** Principals that bypass ACLs: the administrator and the brokers themselves. */
  superUsers: string[];
  /** Clients must also present a certificate the CA signed (mutual TLS). */
  mutualTls?: boolean;
}

/** What all nodes of one cluster share. */
export interface ClusterShape {
  /** Every node of the cluster (each is a KRaft voter); defaults to the node alone. */
  voters?: BrokerLayout[];
  security?: NodeSecurity;
}

/** The `--nodes` flag of the scripts that start a local cluster; `env` and `description` are theirs. */
export function nodesFlag(env: string, description: string) {
  return { type: "number", integer: true, min: 1, max: 9, default: 1, env, description } as const;
}

/** The replication settings a cluster of `nodes` nodes gets: 3 (or fewer nodes), ISR 2 (or 1). Pure. */
export function replicationFor(nodes: number): { replicationFactor: number; minInsync: number } {
  return { replicationFactor: Math.min(3, nodes), minInsync: Math.min(2, nodes) };
}

/**
 * A node's server.properties: combined broker+controller (every node a
 * voter), loopback only, replication sized to the cluster (3 and
 * min.insync 2 from three nodes on, internal topics too, never an unclean
 * leader). Secured: clients on SASL_SSL with SCRAM-SHA-512, brokers and
 * controllers among themselves on mutual TLS, the StandardAuthorizer
 * denying whatever no ACL allows.
 */
export function brokerProperties(l: BrokerLayout, shape: ClusterShape = {}): string {
  const voters = shape.voters ?? [l];
  const { replicationFactor, minInsync } = replicationFor(voters.length);
  const sec = shape.security;
  const listeners = sec
    ? [
      "listeners=" +
      `CLIENT://127.0.0.1:${l.port},INTERNAL://127.0.0.1:${l.internalPort},` +
      `CONTROLLER://127.0.0.1:${l.controllerPort}`,
      `advertised.listeners=CLIENT://127.0.0.1:${l.port},INTERNAL://127.0.0.1:${l.internalPort}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL",
      "inter.broker.listener.name=INTERNAL",
      "sasl.enabled.mechanisms=SCRAM-SHA-512",
      "listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512",
      "listener.name.client.scram-sha-512.sasl.jaas.config=" +
      "org.apache.kafka.common.security.scram.ScramLoginModule required;",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${sec.keystoreFile}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${sec.truststoreFile}`,
      // Brokers and controllers know each other by certificate.
      "listener.name.internal.ssl.client.auth=required",
      "listener.name.controller.ssl.client.auth=required",
      `listener.name.client.ssl.client.auth=${sec.mutualTls ? "required" : "none"}`,
      // CN=kafka-broker → User:kafka-broker, so super.users can name it.
      "ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT",
      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      `super.users=${sec.superUsers.join(";")}`,
      "allow.everyone.if.no.acl.found=false",
    ]
    : [
      `listeners=PLAINTEXT://127.0.0.1:${l.port},CONTROLLER://127.0.0.1:${l.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${l.port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
    ];
  return [
    "process.roles=broker,controller",
    `node.id=${l.nodeId}`,
    `controller.quorum.voters=${
      voters.map((v) => `${v.nodeId}@127.0.0.1:${v.controllerPort}`).join(",")
    }`,
    ...listeners,
    `log.dirs=${l.dataDir}`,
    // Every topic is declared in shared/kafka/topics.ts; a typo must not create one.
    "auto.create.topics.enable=false",
    "num.partitions=1",
    `default.replication.factor=${replicationFactor}`,
    `min.insync.replicas=${minInsync}`,
    // A replica that fell behind never becomes leader: that would lose acknowledged records.
    "unclean.leader.election.enable=false",
    `offsets.topic.replication.factor=${replicationFactor}`,
    "offsets.topic.num.partitions=3",
    `transaction.state.log.replication.factor=${replicationFactor}`,
    `transaction.state.log.min.isr=${minInsync}`,
    "transaction.state.log.num.partitions=3",
    // A single member need not wait for others to join.
    "group.initial.rebalance.delay.ms=0",
    // The longest transaction timeout a producer may ask for (Kafka's default, said here).
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

/**
 * Stops brokers whose owning process died without stopping them (a test run
 * killed with SIGKILL, say) and removes their folders. A broker is only
 * killed if its command line names its own run folder, so an unrelated
 * process that reused the pid is left alone.
 */
export function sweepOrphans(runsDir: string, log: Logger): Promise<void> {
  return sweepRunFolders(runsDir, log, {
    // A fresh heartbeat means the owner lives, even where its pid is not
    // visible (another pid namespace); a folder that has none yet may be a
    // start in progress elsewhere.
    mayBeInUse: (dir) =>
      ageMs(join(dir, HEARTBEAT)) < HEARTBEAT_STALE_MS || ageMs(dir) < HEARTBEAT_STALE_MS,
    stopLeftovers: (dir, log) => {
      let pidFiles: string[] = [];
      try {
        pidFiles = [...Deno.readDirSync(dir)].map((e) => e.name)
          .filter((n) => /^(broker|node-\d+)\.pid$/.test(n));
      } catch { /* removed meanwhile */ }
      for (const pidFile of pidFiles) {
        const broker = readPid(join(dir, pidFile));
        if (broker === undefined || !runsIn(broker, dir)) continue;
        log.warn("stopping a broker left running by a dead process", { pid: broker, dir });
        try {
          Deno.kill(broker, "SIGKILL");
        } catch { /* gone meanwhile */ }
      }
      return Promise.resolve();
    },
  });
}

export interface LocalKafkaOptions {
  log: Logger;
  cacheDir?: string;
  version?: string;
  /** How many nodes (each a broker and a KRaft voter); 1 by default. */
  nodes?: number;
  /** The first node's client port; 0 (default) picks free ones. */
  port?: number;
  /**
   * SASL_SSL with SCRAM-SHA-512 for clients, mutual TLS between nodes, ACLs
   * enforced; `principals` get a password each (see ./cluster_security.ts).
   */
  secure?: { principals: readonly string[]; mutualTls?: boolean };
  /** Restart a node that dies without being stopped, on its own data (chaos, `kafka start`). */
  restartOnCrash?: boolean;
  /** JVM heap per node in MiB; small by default, the machine is shared with tests. */
  heapMb?: number;
  /** How long to wait for the nodes to answer. */
  startTimeoutMs?: number;
}

/** One running node of a local cluster. */
export interface LocalNode {
  readonly id: number;
  /** Its client listener, `127.0.0.1:port`. */
  readonly address: string;
  /** The JVM's pid; a new one after each restart. */
  readonly pid: number;
  readonly logFile: string;
  /** Whether its JVM is running now. */
  readonly running: boolean;
}

/** A running local cluster (one node by default). */
export interface LocalKafka {
  /** Every node's client address, comma-separated. */
  readonly bootstrap: string;
  /** The first node's pid (the only one's, on a single node). */
  readonly pid: number;
  /** The first node's log. */
  readonly logFile: string;
  readonly runDir: string;
  readonly install: KafkaInstall;
  readonly nodes: readonly LocalNode[];
  /** Credentials and CA of a secured cluster. */
  readonly security?: ClusterSecurity;
  /** A JSON description (bootstrap, nodes with pids, security files), rewritten on every restart. */
  readonly manifestFile: string;
  /** Milliseconds from spawn until every node answered. */
  readonly startMs: number;
  /** SIGKILLs one node, as a crash would. With `restartOnCrash` it comes back by itself. */
  killNode(id: number): void;
  /** Starts a stopped or killed node again on its own log dirs; resolves once it serves. */
  restartNode(id: number): Promise<void>;
  /** SIGTERM (a controlled shutdown), SIGKILL after `graceMs`; removes the data. */
  stop(graceMs?: number): Promise<void>;
}

/** What the manifest file holds; read by tests and `deno task verify --chaos`. */
export interface ClusterManifest {
  bootstrap: string;
  nodes: { id: number; address: string; pid: number; logFile: string; running: boolean }[];
  caFile?: string;
  credentialsFile?: string;
  adminPropertiesFile?: string;
}

/** The line KafkaRaftServer logs once broker and controller both serve. */
const STARTED_LINE = "Kafka Server started";

/**
 * How many times a node logged that it started. A TCP connect is not
 * enough: something else may hold the port while our node fails to bind it.
 */
export function startCount(logFile: string): number {
  try {
    return Deno.readTextFileSync(logFile).split(STARTED_LINE).length - 1;
  } catch {
    return 0;
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

/** How long a crashed node stays down before `restartOnCrash` brings it back. */
const RESTART_DELAY_MS = 2_000;
/** More crashes than this within a minute, and the node is left down. */
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * Provisions (if needed), formats and starts a KRaft cluster of
 * `options.nodes` nodes (one by default) on free loopback ports, and
 * resolves once every node serves.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  const { log } = options;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const install = await provisionKafka({ log, cacheDir, version: options.version });
  await requireJava();
  const runsDir = join(cacheDir, "kafka", "runs");
  await sweepOrphans(runsDir, log);

  const count = options.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 9) {
    throw new LocalKafkaError(`--nodes must be a whole number from 1 to 9, got ${count}`);
  }
  const runDir = join(runsDir, `${Date.now().toString(36)}-${Deno.pid}`);
  await Deno.mkdir(runDir, { recursive: true });
  await Deno.writeTextFile(join(runDir, "owner.pid"), `${Deno.pid}\n`);
  const stopHeartbeat = heartbeat(runDir);
  const security = options.secure
    ? await prepareClusterSecurity(join(runDir, "security"), options.secure.principals, {
      mutualTls: options.secure.mutualTls,
    })
    : undefined;
  const layouts: BrokerLayout[] = Array.from({ length: count }, (_, i) => ({
    nodeId: i + 1,
    port: i === 0 && options.port ? options.port : freePort(),
    controllerPort: freePort(),
    internalPort: security ? freePort() : undefined,
    dataDir: join(runDir, `node-${i + 1}`, "data"),
  }));
  const clusterId = newClusterId();
  const heap = options.heapMb ?? 512;
  const bootstrap = layouts.map((l) => `127.0.0.1:${l.port}`).join(",");
  const manifestFile = join(runDir, "cluster.json");
  let stopping: Promise<void> | undefined;

  interface NodeState {
    layout: BrokerLayout;
    dir: string;
    propsFile: string;
    logFile: string;
    child?: Deno.ChildProcess;
    exited?: Deno.CommandStatus;
    status?: Promise<Deno.CommandStatus>;
    /** Set while we kill or stop it on purpose: its exit is then no surprise. */
    expectExit: boolean;
    restartTimer?: ReturnType<typeof setTimeout>;
    restarting?: Promise<void>;
    /** When it died lately, for the restart cap. */
    crashes: number[];
  }
  const states: NodeState[] = [];
  for (const layout of layouts) {
    const dir = join(runDir, `node-${layout.nodeId}`);
    await Deno.mkdir(layout.dataDir, { recursive: true });
    const propsFile = join(dir, "server.properties");
    const logFile = join(dir, "broker.log");
    await Deno.writeTextFile(
      propsFile,
      brokerProperties(layout, { voters: layouts, security: security?.node }),
    );
    await Deno.writeTextFile(join(dir, "log4j2.yaml"), log4jConfig(logFile));
    // `--cluster-id=`: an id may start with "-", which would read as a flag.
    await java(install, [
      "kafka.tools.StorageTool",
      "format",
      `--cluster-id=${clusterId}`,
      "-c",
      propsFile,
      ...(security?.formatArgs() ?? []),
    ], logFile);
    states.push({ layout, dir, propsFile, logFile, expectExit: false, crashes: [] });
  }

  const writeManifest = async () => {
    const manifest: ClusterManifest = {
      bootstrap,
      nodes: states.map((s) => ({
        id: s.layout.nodeId,
        address: `127.0.0.1:${s.layout.port}`,
        pid: s.child?.pid ?? 0,
        logFile: s.logFile,
        running: s.child !== undefined && !s.exited,
      })),
      caFile: security?.caFile,
      credentialsFile: security?.credentialsFile,
      adminPropertiesFile: security?.adminPropertiesFile,
    };
    await Deno.writeTextFile(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  };

  const spawn = (s: NodeState) => {
    s.exited = undefined;
    s.expectExit = false;
    // `sh -c exec` hands stdout/stderr to the log file directly, so the node
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
        `-Dlog4j2.configurationFile=${join(s.dir, "log4j2.yaml")}`,
        `-Dkafka.logs.dir=${s.dir}`,
        "-cp",
        install.classpath,
        "kafka.Kafka",
        s.propsFile,
      ],
      env: { BROKER_LOG: s.logFile },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    s.child = child;
    Deno.writeTextFileSync(join(runDir, `node-${s.layout.nodeId}.pid`), `${child.pid}\n`);
    s.status = child.status.then((status) => {
      if (s.child !== child) return status;
      s.exited = status;
      void writeManifest().catch(() => {});
      if (stopping || s.expectExit) return status;
      // Said now, with the log's end: the folder may be gone by the time anyone looks.
      void tail(s.logFile, 20).then((lastLines) =>
        log[options.restartOnCrash ? "warn" : "error"]("a local Kafka node exited unexpectedly", {
          node: s.layout.nodeId,
          code: status.code,
          signal: status.signal,
          logFile: s.logFile,
          ...(options.restartOnCrash ? { restartingInMs: RESTART_DELAY_MS } : { lastLines }),
        })
      );
      if (options.restartOnCrash) {
        // A node that keeps dying at start is left down, said once, not retried forever.
        const now = Date.now();
        s.crashes = [...s.crashes.filter((t) => now - t < 60_000), now];
        if (s.crashes.length > MAX_RESTARTS_PER_MINUTE) {
          log.error("a local Kafka node keeps dying; left down", {
            node: s.layout.nodeId,
            logFile: s.logFile,
          });
          return status;
        }
        s.restartTimer = setTimeout(() => {
          s.restartTimer = undefined;
          if (!stopping && s.exited) {
            void restart(s).catch((err) =>
              log.error("a local Kafka node could not be restarted", {
                node: s.layout.nodeId,
                error: (err as Error).message,
              })
            );
          }
        }, RESTART_DELAY_MS);
      }
      return status;
    });
  };

  const untilStarted = async (s: NodeState, before: number, deadline: number) => {
    while (startCount(s.logFile) <= before) {
      if (s.exited) {
        throw new LocalKafkaError(
          `local Kafka node ${s.layout.nodeId} exited during start-up with code ${s.exited.code}:\n${await tail(
            s.logFile,
          )}`,
          s.logFile,
        );
      }
      if (Date.now() > deadline) {
        throw new LocalKafkaError(
          `local Kafka node ${s.layout.nodeId} did not start in time`,
          s.logFile,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const restart = (s: NodeState): Promise<void> => {
    // One restart at a time per node: the crash timer and restartNode may both ask.
    s.restarting ??= restartOnce(s).finally(() => s.restarting = undefined);
    return s.restarting;
  };
  const restartOnce = async (s: NodeState) => {
    clearTimeout(s.restartTimer);
    if (s.child && !s.exited) return;
    const before = startCount(s.logFile);
    if (stopping) return;
    spawn(s);
    await writeManifest();
    await untilStarted(s, before, Date.now() + (options.startTimeoutMs ?? 120_000));
    log.info("local Kafka node restarted on its own data", {
      node: s.layout.nodeId,
      pid: s.child?.pid,
    });
  };

  const started = performance.now();
  const killAll = () => {
    for (const s of states) {
      s.expectExit = true;
      try {
        s.child?.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  };
  try {
    for (const s of states) spawn(s);
    await writeManifest();
    const deadline = Date.now() + (options.startTimeoutMs ?? 90_000 + 30_000 * (count - 1));
    // A node starts only once a quorum of voters is up, so all are waited on together.
    await Promise.all(states.map((s) => untilStarted(s, 0, deadline)));
  } catch (err) {
    killAll();
    stopHeartbeat();
    throw err;
  }
  const startMs = Math.round(performance.now() - started);
  log.info(count === 1 ? "local Kafka broker started" : "local Kafka cluster started", {
    version: install.version,
    bootstrap,
    nodes: count,
    secure: security !== undefined,
    pid: states[0].child!.pid,
    startMs,
    logFile: states[0].logFile,
  });

  const nodeView = (s: NodeState): LocalNode => ({
    id: s.layout.nodeId,
    address: `127.0.0.1:${s.layout.port}`,
    get pid() {
      return s.child?.pid ?? 0;
    },
    logFile: s.logFile,
    get running() {
      return s.child !== undefined && !s.exited;
    },
  });
  const byId = (id: number) => {
    const s = states.find((x) => x.layout.nodeId === id);
    if (!s) throw new LocalKafkaError(`no node ${id} in this cluster (1-${count})`);
    return s;
  };

  return {
    bootstrap,
    pid: states[0].child!.pid,
    logFile: states[0].logFile,
    runDir,
    install,
    nodes: states.map(nodeView),
    security,
    manifestFile,
    startMs,
    killNode(id) {
      const s = byId(id);
      try {
        s.child?.kill("SIGKILL");
      } catch { /* already gone */ }
    },
    restartNode: (id) => restart(byId(id)),
    stop(graceMs = 30_000) {
      stopping ??= (async () => {
        for (const s of states) clearTimeout(s.restartTimer);
        await Promise.all(states.map(async (s) => {
          if (!s.child || s.exited) return;
          s.expectExit = true;
          try {
            s.child.kill("SIGTERM");
          } catch { /* already gone */ }
          const timer = setTimeout(() => {
            log.warn("node did not stop in time, killing it", { node: s.layout.nodeId });
            try {
              s.child?.kill("SIGKILL");
            } catch { /* already gone */ }
          }, graceMs);
          await s.status;
          clearTimeout(timer);
        }));
        stopHeartbeat();
        // The logs outlive the run folder, for failures noticed afterwards.
        const kept = [];
        for (const s of states) {
          kept.push(await keepLog(cacheDir, runDir, s.logFile, count > 1 ? s.layout.nodeId : 0));
        }
        log.info(count === 1 ? "local Kafka broker stopped" : "local Kafka cluster stopped", {
          log: kept.join(","),
        });
        await Deno.remove(runDir, { recursive: true }).catch(() => {});
      })();
      return stopping;
    },
  };
}

/** Copies a run's node log to `<cache>/kafka/logs/`, keeping the newest ten. */
async function keepLog(
  cacheDir: string,
  runDir: string,
  logFile: string,
  nodeId: number,
): Promise<string> {
  const logsDir = join(cacheDir, "kafka", "logs");
  const kept = join(logsDir, `${basename(runDir)}${nodeId ? `-node-${nodeId}` : ""}.log`);
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
  "kafka-acls": "org.apache.kafka.tools.AclCommand",
  "kafka-configs": "org.apache.kafka.tools.ConfigCommand",
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
