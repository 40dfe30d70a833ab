/**
 * One node of a local Kafka cluster as a process: its JVM started with its
 * output going straight to its log, the wait until that log says it serves,
 * a controlled stop (SIGTERM, SIGKILL after a grace) and a kill. What a
 * node's exit means for the cluster (restart it, rewrite the manifest) is
 * ./local_cluster.ts's; this module only reports the exit.
 *
 * @example
 * ```ts
 * import { newNode, type NodeJvm, spawnNode, untilStarted } from "./kafka_node.ts";
 * declare const jvm: NodeJvm; // the install, the heap, the run folder
 * const node = newNode({ nodeId: 1, port: 9092, controllerPort: 9093, dataDir: "/run/node-1/data" }, "/run/node-1");
 * spawnNode(node, jvm, (status) => console.log("exited", status.code));
 * await untilStarted(node, 0, Date.now() + 90_000);
 * ```
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../platform/log.ts";
import type { BrokerLayout, KafkaInstall, LocalNode } from "./local_kafka.ts";
import { LocalKafkaError } from "./local_kafka_error.ts";
import { tail } from "../run_folders.ts";

/** A node's files and the state of its process, across restarts. */
export interface KafkaNode {
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

/** How every node's JVM runs: the jars, the heap, and the run folder its pid file goes to. */
export interface NodeJvm {
  install: KafkaInstall;
  heapMb: number;
  runDir: string;
}

/** A node's state before its first start, its files in `dir`. */
export function newNode(layout: BrokerLayout, dir: string): KafkaNode {
  return {
    layout,
    dir,
    propsFile: join(dir, "server.properties"),
    logFile: join(dir, "broker.log"),
    expectExit: false,
    crashes: [],
  };
}

/** The command line of a node's JVM (`java …`). Pure. */
export function nodeJavaArgs(node: KafkaNode, jvm: NodeJvm): string[] {
  return [
    "java",
    `-Xmx${jvm.heapMb}m`,
    "-Xms64m",
    "-XX:+UseSerialGC",
    `-Dlog4j2.configurationFile=${join(node.dir, "log4j2.yaml")}`,
    `-Dkafka.logs.dir=${node.dir}`,
    "-cp",
    jvm.install.classpath,
    "kafka.Kafka",
    node.propsFile,
  ];
}

/**
 * Starts `node`'s JVM and writes its pid file; `onExit` hears of its exit,
 * unless the node was started again meanwhile.
 */
export function spawnNode(
  node: KafkaNode,
  jvm: NodeJvm,
  onExit: (status: Deno.CommandStatus) => void,
): void {
  node.exited = undefined;
  node.expectExit = false;
  // `sh -c exec` hands stdout/stderr to the log file directly, so the node
  // does not depend on this process to drain a pipe.
  const child = new Deno.Command("sh", {
    args: ["-c", 'exec "$@" >>"$BROKER_LOG" 2>&1', "sh", ...nodeJavaArgs(node, jvm)],
    env: { BROKER_LOG: node.logFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  node.child = child;
  Deno.writeTextFileSync(join(jvm.runDir, `node-${node.layout.nodeId}.pid`), `${child.pid}\n`);
  node.status = child.status.then((status) => {
    if (node.child !== child) return status;
    node.exited = status;
    onExit(status);
    return status;
  });
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

/** Resolves once `node` logged more starts than `before`; throws if it exits or the deadline passes. */
export async function untilStarted(
  node: KafkaNode,
  before: number,
  deadline: number,
): Promise<void> {
  while (startCount(node.logFile) <= before) {
    if (node.exited) {
      throw new LocalKafkaError(
        `local Kafka node ${node.layout.nodeId} exited during start-up with code ${node.exited.code}:\n${await tail(
          node.logFile,
        )}`,
        node.logFile,
      );
    }
    if (Date.now() > deadline) {
      throw new LocalKafkaError(
        `local Kafka node ${node.layout.nodeId} did not start in time`,
        node.logFile,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGKILLs `node`'s JVM, if there is one that still runs. */
export function killNode(node: KafkaNode): void {
  try {
    node.child?.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** A controlled shutdown: SIGTERM, SIGKILL after `graceMs`; resolves once the JVM exited. */
export async function stopNode(node: KafkaNode, graceMs: number, log: Logger): Promise<void> {
  if (!node.child || node.exited) return;
  node.expectExit = true;
  try {
    node.child.kill("SIGTERM");
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    log.warn("node did not stop in time, killing it", { node: node.layout.nodeId });
    killNode(node);
  }, graceMs);
  await node.status;
  clearTimeout(timer);
}

/** What callers see of `node`: its pid and whether it runs are read when asked. */
export function liveNode(node: KafkaNode): LocalNode {
  return {
    id: node.layout.nodeId,
    address: `127.0.0.1:${node.layout.port}`,
    get pid() {
      return node.child?.pid ?? 0;
    },
    logFile: node.logFile,
    get running() {
      return node.child !== undefined && !node.exited;
    },
  };
}
