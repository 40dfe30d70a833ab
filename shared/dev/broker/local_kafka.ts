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
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Logger } from "../../platform/log.ts";
import { type ClusterSecurity, prepareClusterSecurity } from "./cluster_security.ts";
import { ageMs, exists, readPid, runsIn, sweepOrphans as sweepRunFolders } from "../run_folders.ts";
import { type KafkaNode, newNode } from "./kafka_node.ts";
import { type LocalCluster, localKafkaHandle, startNodes } from "./local_cluster.ts";
import { LocalKafkaError } from "./local_kafka_error.ts";

export { LocalKafkaError } from "./local_kafka_error.ts";
export { startCount } from "./kafka_node.ts";
export type { ClusterManifest } from "./cluster_manifest.ts";

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

/** The `--nodes` a cluster may have: a whole number from 1 to 9, 1 when not given. */
export function validNodeCount(nodes = 1): number {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) {
    throw new LocalKafkaError(`--nodes must be a whole number from 1 to 9, got ${nodes}`);
  }
  return nodes;
}

/** How long a cluster of `nodes` nodes may take to serve by default: 90 s, 30 s more a node. Pure. */
export function clusterStartTimeoutMs(nodes: number): number {
  return 90_000 + 30_000 * (nodes - 1);
}

/**
 * Each node's id, ports and data folder below `runDir`. `firstPort` is the
 * first node's client port when given; every other port comes from
 * `pickPort` (a free one), an internal listener's only on a secured cluster.
 */
export function nodeLayouts(
  count: number,
  runDir: string,
  { firstPort, secured }: { firstPort?: number; secured: boolean },
  pickPort: () => number = freePort,
): BrokerLayout[] {
  return Array.from({ length: count }, (_, i) => ({
    nodeId: i + 1,
    port: i === 0 && firstPort ? firstPort : pickPort(),
    controllerPort: pickPort(),
    internalPort: secured ? pickPort() : undefined,
    dataDir: join(runDir, `node-${i + 1}`, "data"),
  }));
}

/** Every node's client address, comma-separated. Pure. */
export function bootstrapOf(layouts: readonly BrokerLayout[]): string {
  return layouts.map((l) => `127.0.0.1:${l.port}`).join(",");
}

/** A new run folder below `runsDir`, named by time and pid, that says who owns it. */
async function createRunDir(runsDir: string): Promise<string> {
  const runDir = join(runsDir, `${Date.now().toString(36)}-${Deno.pid}`);
  await Deno.mkdir(runDir, { recursive: true });
  await Deno.writeTextFile(join(runDir, "owner.pid"), `${Deno.pid}\n`);
  return runDir;
}

/** Writes each node's folder, server.properties and log4j2.yaml, and formats its storage. */
async function prepareNodes(
  install: KafkaInstall,
  runDir: string,
  layouts: BrokerLayout[],
  security?: ClusterSecurity,
): Promise<KafkaNode[]> {
  const clusterId = newClusterId();
  const nodes: KafkaNode[] = [];
  for (const layout of layouts) {
    const node = newNode(layout, join(runDir, `node-${layout.nodeId}`));
    await Deno.mkdir(layout.dataDir, { recursive: true });
    await Deno.writeTextFile(
      node.propsFile,
      brokerProperties(layout, { voters: layouts, security: security?.node }),
    );
    await Deno.writeTextFile(join(node.dir, "log4j2.yaml"), log4jConfig(node.logFile));
    // `--cluster-id=`: an id may start with "-", which would read as a flag.
    await java(install, [
      "kafka.tools.StorageTool",
      "format",
      `--cluster-id=${clusterId}`,
      "-c",
      node.propsFile,
      ...(security?.formatArgs() ?? []),
    ], node.logFile);
    nodes.push(node);
  }
  return nodes;
}

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
  const count = validNodeCount(options.nodes);
  const runDir = await createRunDir(runsDir);
  const stopHeartbeat = heartbeat(runDir);
  const security = options.secure
    ? await prepareClusterSecurity(join(runDir, "security"), options.secure.principals, {
      mutualTls: options.secure.mutualTls,
    })
    : undefined;
  const layouts = nodeLayouts(count, runDir, {
    firstPort: options.port,
    secured: security !== undefined,
  });
  const cluster: LocalCluster = {
    log,
    nodes: await prepareNodes(install, runDir, layouts, security),
    jvm: { install, heapMb: options.heapMb ?? 512, runDir },
    cacheDir,
    bootstrap: bootstrapOf(layouts),
    manifestFile: join(runDir, "cluster.json"),
    security,
    restartOnCrash: options.restartOnCrash ?? false,
    restartTimeoutMs: options.startTimeoutMs ?? 120_000,
    stopHeartbeat,
  };
  const startMs = await startNodes(cluster, options.startTimeoutMs ?? clusterStartTimeoutMs(count));
  log.info(count === 1 ? "local Kafka broker started" : "local Kafka cluster started", {
    version: install.version,
    bootstrap: cluster.bootstrap,
    nodes: count,
    secure: security !== undefined,
    pid: cluster.nodes[0].child!.pid,
    startMs,
    logFile: cluster.nodes[0].logFile,
  });
  return localKafkaHandle(cluster, startMs);
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
