/**
 * A local Kafka cluster once its nodes are prepared: starting them all,
 * rewriting the manifest whenever one starts or exits, restarting a node
 * that crashed (`restartOnCrash`, within ./restart_cap.ts's cap, one
 * restart at a time per node), and the controlled stop that keeps the logs
 * and removes the run folder. ./local_kafka.ts prepares the nodes and
 * hands them here.
 *
 * @example
 * ```ts
 * import { type LocalCluster, localKafkaHandle, startNodes } from "./local_cluster.ts";
 * declare const cluster: LocalCluster; // its nodes prepared by ./local_kafka.ts
 * const kafka = localKafkaHandle(cluster, await startNodes(cluster, 90_000));
 * await kafka.stop();
 * ```
 * @module
 */
import { basename, join } from "node:path";
import type { Logger } from "../../platform/log.ts";
import { clusterManifest, writeClusterManifest } from "./cluster_manifest.ts";
import type { ClusterSecurity } from "./cluster_security.ts";
import {
  type KafkaNode,
  killNode,
  liveNode,
  type NodeJvm,
  spawnNode,
  startCount,
  stopNode,
  untilStarted,
} from "./kafka_node.ts";
import type { LocalKafka } from "./local_kafka.ts";
import { LocalKafkaError } from "./local_kafka_error.ts";
import { tail } from "../run_folders.ts";
import { RESTART_DELAY_MS, restartAfterCrash } from "../restart_cap.ts";

/** A cluster's prepared nodes and what running them needs. */
export interface LocalCluster {
  log: Logger;
  nodes: KafkaNode[];
  jvm: NodeJvm;
  /** Where the logs are kept after the run (`<cache>/kafka/logs/`). */
  cacheDir: string;
  bootstrap: string;
  manifestFile: string;
  security?: ClusterSecurity;
  restartOnCrash: boolean;
  /** How long a restarted node may take to serve. */
  restartTimeoutMs: number;
  /** Ends the run folder's heartbeat. */
  stopHeartbeat: () => void;
  /** Set once `stop` was called: exits are then expected, nothing restarts. */
  stopping?: Promise<void>;
}

/**
 * Starts every node and resolves with the milliseconds until all serve.
 * On failure every node is killed and the heartbeat ends.
 */
export async function startNodes(c: LocalCluster, timeoutMs: number): Promise<number> {
  const started = performance.now();
  try {
    for (const node of c.nodes) spawn(c, node);
    await writeManifest(c);
    const deadline = Date.now() + timeoutMs;
    // A node starts only once a quorum of voters is up, so all are waited on together.
    await Promise.all(c.nodes.map((node) => untilStarted(node, 0, deadline)));
  } catch (err) {
    for (const node of c.nodes) {
      node.expectExit = true;
      killNode(node);
    }
    c.stopHeartbeat();
    throw err;
  }
  return Math.round(performance.now() - started);
}

/** What the caller of `startLocalKafka` holds: the running cluster and its controls. */
export function localKafkaHandle(c: LocalCluster, startMs: number): LocalKafka {
  const [first] = c.nodes;
  return {
    bootstrap: c.bootstrap,
    pid: first.child!.pid,
    logFile: first.logFile,
    runDir: c.jvm.runDir,
    install: c.jvm.install,
    nodes: c.nodes.map(liveNode),
    security: c.security,
    manifestFile: c.manifestFile,
    startMs,
    killNode: (id) => killNode(nodeById(c, id)),
    restartNode: (id) => restartNode(c, nodeById(c, id)),
    stop: (graceMs = 30_000) => c.stopping ??= stopCluster(c, graceMs),
  };
}

function nodeById(c: LocalCluster, id: number): KafkaNode {
  const node = c.nodes.find((x) => x.layout.nodeId === id);
  if (!node) throw new LocalKafkaError(`no node ${id} in this cluster (1-${c.nodes.length})`);
  return node;
}

async function writeManifest(c: LocalCluster): Promise<void> {
  await writeClusterManifest(
    c.manifestFile,
    clusterManifest(c.bootstrap, c.nodes.map(liveNode), c.security),
  );
}

function spawn(c: LocalCluster, node: KafkaNode): void {
  spawnNode(node, c.jvm, (status) => onExit(c, node, status));
}

/** Every exit rewrites the manifest; one not asked for is told, and restarted if so configured. */
function onExit(c: LocalCluster, node: KafkaNode, status: Deno.CommandStatus): void {
  void writeManifest(c).catch(() => {});
  if (c.stopping || node.expectExit) return;
  // Said now, with the log's end: the folder may be gone by the time anyone looks.
  void tail(node.logFile, 20).then((lastLines) =>
    c.log[c.restartOnCrash ? "warn" : "error"]("a local Kafka node exited unexpectedly", {
      node: node.layout.nodeId,
      code: status.code,
      signal: status.signal,
      logFile: node.logFile,
      ...(c.restartOnCrash ? { restartingInMs: RESTART_DELAY_MS } : { lastLines }),
    })
  );
  if (c.restartOnCrash) restartLater(c, node);
}

/** Restarts a crashed node after a pause, unless it keeps dying (said once, then left down). */
function restartLater(c: LocalCluster, node: KafkaNode): void {
  const { crashes, restart } = restartAfterCrash(node.crashes, Date.now());
  node.crashes = crashes;
  if (!restart) {
    c.log.error("a local Kafka node keeps dying; left down", {
      node: node.layout.nodeId,
      logFile: node.logFile,
    });
    return;
  }
  node.restartTimer = setTimeout(() => {
    node.restartTimer = undefined;
    if (!c.stopping && node.exited) {
      void restartNode(c, node).catch((err) =>
        c.log.error("a local Kafka node could not be restarted", {
          node: node.layout.nodeId,
          error: (err as Error).message,
        })
      );
    }
  }, RESTART_DELAY_MS);
}

/** Starts a stopped or crashed node again on its own data; resolves once it serves. */
function restartNode(c: LocalCluster, node: KafkaNode): Promise<void> {
  // One restart at a time per node: the crash timer and restartNode may both ask.
  node.restarting ??= restartOnce(c, node).finally(() => node.restarting = undefined);
  return node.restarting;
}

async function restartOnce(c: LocalCluster, node: KafkaNode): Promise<void> {
  clearTimeout(node.restartTimer);
  if (node.child && !node.exited) return;
  const before = startCount(node.logFile);
  if (c.stopping) return;
  spawn(c, node);
  await writeManifest(c);
  await untilStarted(node, before, Date.now() + c.restartTimeoutMs);
  c.log.info("local Kafka node restarted on its own data", {
    node: node.layout.nodeId,
    pid: node.child?.pid,
  });
}

/** Stops every node, keeps their logs and removes the run folder. */
async function stopCluster(c: LocalCluster, graceMs: number): Promise<void> {
  for (const node of c.nodes) clearTimeout(node.restartTimer);
  await Promise.all(c.nodes.map((node) => stopNode(node, graceMs, c.log)));
  c.stopHeartbeat();
  // The logs outlive the run folder, for failures noticed afterwards.
  const single = c.nodes.length === 1;
  const kept = [];
  for (const node of c.nodes) {
    kept.push(
      await keepLog(c.cacheDir, c.jvm.runDir, node.logFile, single ? 0 : node.layout.nodeId),
    );
  }
  c.log.info(single ? "local Kafka broker stopped" : "local Kafka cluster stopped", {
    log: kept.join(","),
  });
  await Deno.remove(c.jvm.runDir, { recursive: true }).catch(() => {});
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
