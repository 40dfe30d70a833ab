/**
 * `deno task verify --chaos`: while the tagged orders flow, SIGKILL the
 * running demo's routers, consumers and aggregator and its cluster's nodes,
 * found through the demo's run manifest (shared/dev/demo_manifest.ts) and the
 * cluster's (`cluster.json`). The demo's supervisor and the local cluster
 * bring back what was killed; this only kills, on the schedule of
 * shared/verify/chaos.ts. Local only: it refuses a demo it cannot see
 * running on this machine.
 * @module
 */
import { createAdmin } from "../kafka/client.ts";
import { type KafkaConnection } from "../kafka/connection.ts";
import type { Logger } from "../platform/log.ts";
import {
  chaosSchedule,
  chaosSummary,
  clusterNodes,
  isRunning,
  type KilledNode,
  pickNode,
  runChaos,
  sigkill,
} from "./chaos.ts";
import { type DemoManifest, demoManifestPath, readDemoManifest } from "../dev/demo_manifest.ts";
import { defaultCacheDir } from "../dev/broker/local_kafka.ts";

/** The scripts chaos kills: the exactly-once loops. */
export const CHAOS_SCRIPTS = [
  "inventory_orders_producer",
  "delivery_orders_producer",
  "inventory_data_consumer",
  "delivery_data_consumer",
  "aggregator",
];

/**
 * The transactional id whose coordinator the second node kill takes: a
 * transaction coordinator. It was a router's on kafkajs; a router's ids are
 * `<prefix>-<random>` now, and the library's admin has no ListTransactions to
 * find a live one, so this names a coordinator, not necessarily a router's.
 */
const COORDINATED_ID = "inventory-orders-producer-orders-0";

const alive = isRunning;

/** The demo's manifest, if it describes a demo running on this machine; else one sentence why not. */
async function runningDemo(path: string): Promise<DemoManifest> {
  let manifest: DemoManifest;
  try {
    manifest = await readDemoManifest(path);
  } catch (err) {
    throw new Error(
      `--chaos needs a running \`deno task demo\` on this machine: cannot read its run manifest ` +
        `${path} (--chaos-manifest): ${(err as Error).message}`,
    );
  }
  if (manifest.state !== "running" || !(await alive(manifest.demoPid))) {
    throw new Error(
      `--chaos needs a running \`deno task demo\`: the one in ${path} is ${
        manifest.state === "running" ? "gone" : manifest.state
      }`,
    );
  }
  const remote = manifest.brokers.split(",").find((b) => !/^(127\.|localhost:|\[::1\])/.test(b));
  if (remote) throw new Error(`--chaos is local only; the demo's brokers include ${remote}`);
  return manifest;
}

/** The administrator of the demo's cluster (picks nodes by metadata). */
async function adminOf(manifest: DemoManifest): Promise<KafkaConnection> {
  const brokers = manifest.brokers.split(",");
  const cluster = manifest.clusterManifest
    ? JSON.parse(await Deno.readTextFile(manifest.clusterManifest))
    : undefined;
  if (!manifest.secure || !cluster?.credentialsFile) return { brokers, clientId: "verify-chaos" };
  const { admin } = JSON.parse(await Deno.readTextFile(cluster.credentialsFile));
  return {
    brokers,
    clientId: "verify-chaos",
    ssl: { ca: await Deno.readTextFile(cluster.caFile) },
    sasl: { mechanism: "scram-sha-512", username: admin.username, password: admin.password },
  };
}

/**
 * Runs the chaos while `sendWave(i)` is called `waves` times spread over it
 * (wave 0 at once); returns the one-line summary of what was killed.
 */
export async function chaosRound(options: {
  manifestPath?: string;
  kills: number;
  nodeKills: number;
  seconds: number;
  waves: number;
  sendWave: (wave: number) => Promise<void>;
  log: Logger;
}): Promise<string> {
  const path = options.manifestPath ?? demoManifestPath(defaultCacheDir());
  const manifest = await runningDemo(path);
  const scripts = CHAOS_SCRIPTS.filter((name) => manifest.processes.some((p) => p.name === name));
  const nodes = manifest.clusterManifest ? clusterNodes(manifest.clusterManifest) : undefined;
  const nodeIds = nodes?.ids() ?? [];
  // Three voters survive one loss; fewer cannot lose any.
  const nodeKills = nodeIds.length >= 3 ? options.nodeKills : 0;
  if (nodeKills < options.nodeKills) {
    options.log.warn("no node kills: the demo's cluster has fewer than 3 nodes", {
      nodes: nodeIds.length,
    });
  }
  const admin = createAdmin(await adminOf(manifest));
  const durationMs = options.seconds * 1000;
  let sent = 0;
  try {
    await options.sendWave(sent++);
    const tally = await runChaos(
      chaosSchedule({
        scripts,
        scriptKills: options.kills,
        nodeKills,
        durationMs,
        seed: Date.now(),
      }),
      {
        async killScript(name) {
          // Its pid changes on every restart: read it fresh, and wait while it is coming back.
          const deadline = Date.now() + 60_000;
          for (;;) {
            const now = await readDemoManifest(path);
            const pid = now.processes.find((p) => p.name === name)?.pid;
            if (pid && await alive(pid)) {
              await sigkill(pid);
              options.log.info("killed", { script: name, pid });
              return;
            }
            if (Date.now() > deadline) throw new Error(`${name} did not come back within 60 s`);
            await new Promise((r) => setTimeout(r, 250));
          }
        },
        pickNode: (pick, before) => pickNode(admin, pick, nodeIds, before, COORDINATED_ID),
        async killNode(id) {
          const killed = await nodes!.kill(id);
          options.log.info("killed", { node: id, pid: killed.pid });
          return killed;
        },
        nodeBack: (killed) => nodes!.back(killed as KilledNode),
        async tick(elapsed) {
          if (sent < options.waves && elapsed >= (durationMs * sent) / options.waves) {
            await options.sendWave(sent++);
          }
        },
      },
    );
    while (sent < options.waves) await options.sendWave(sent++);
    return chaosSummary(tally);
  } finally {
    await admin.close().catch(() => {});
  }
}
