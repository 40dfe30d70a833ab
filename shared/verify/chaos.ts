/**
 * Chaos for the exactly-once audit: a schedule of SIGKILLs spread over the
 * pipeline's scripts and the cluster's nodes, and the two nodes whose
 * death hurts most: the one leading the most partitions, and the
 * transaction coordinator of a given transactional id. Whoever runs the
 * processes restarts them (a supervisor, the local cluster); chaos only kills.
 *
 * A transactional id's coordinator is asked of the cluster (FindCoordinator),
 * as a producer finds it.
 *
 * @example
 * ```ts
 * import { chaosSchedule } from "./chaos.ts";
 * const plan = chaosSchedule({ scripts: ["router", "consumer"], scriptKills: 20, nodeKills: 3, durationMs: 120_000, seed: 1 });
 * console.log(plan.length); // 23
 * ```
 * @module
 */
import { FindCoordinatorKeyTypes } from "@platformatic/kafka";
import type { KafkaAdmin } from "../kafka/client.ts";
import { startCount } from "../dev/broker/local_kafka.ts";
import { createRandom } from "../orders/generate.ts";

/** Which node to kill: the busiest leader, a transaction coordinator, or whichever is next. */
export type NodePick = "most-leaders" | "transaction-coordinator" | "any";

export type ChaosEvent =
  | { atMs: number; kind: "script"; target: string }
  | { atMs: number; kind: "node"; pick: NodePick };

/**
 * `scriptKills` kills spread evenly over `scripts` (each gets its share,
 * in a shuffled order) and `nodeKills` node kills, all over `durationMs`:
 * the first node kill takes the busiest leader, the second a transaction
 * coordinator, the rest any node. Pure.
 */
export function chaosSchedule(options: {
  scripts: readonly string[];
  scriptKills: number;
  nodeKills: number;
  durationMs: number;
  seed: number;
}): ChaosEvent[] {
  // Seeded, so a failing schedule can be replayed by its seed.
  const rnd = createRandom(options.seed);
  const targets: string[] = [];
  for (let i = 0; i < options.scriptKills; i++) {
    targets.push(options.scripts[i % options.scripts.length]);
  }
  for (let i = targets.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [targets[i], targets[j]] = [targets[j], targets[i]];
  }
  const step = options.durationMs / (options.scriptKills + 1);
  const events: ChaosEvent[] = targets.map((target, i) => ({
    atMs: Math.round(step * (i + 1)),
    kind: "script" as const,
    target,
  }));
  const picks: NodePick[] = ["most-leaders", "transaction-coordinator"];
  for (let i = 0; i < options.nodeKills; i++) {
    events.push({
      atMs: Math.round(options.durationMs * (i + 1) / (options.nodeKills + 1)),
      kind: "node",
      pick: picks[i] ?? "any",
    });
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

/** How many partitions of `topics` each node leads now. */
export async function leaderCounts(
  admin: KafkaAdmin,
  topics: string[],
): Promise<Map<number, number>> {
  const metadata = await admin.metadata({ topics, forceUpdate: true });
  const counts = new Map<number, number>();
  for (const t of metadata.topics.values()) {
    for (const p of t.partitions) {
      if (p.leader >= 0) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
    }
  }
  return counts;
}

/** The node leading the most partitions of `topics`. */
export async function busiestLeader(admin: KafkaAdmin, topics: string[]): Promise<number> {
  const counts = await leaderCounts(admin, topics);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

/** The node that coordinates `transactionalId`'s transactions now (needs Describe on the id). */
export async function transactionCoordinator(
  admin: KafkaAdmin,
  transactionalId: string,
): Promise<number> {
  const [found] = await admin.findCoordinator({
    keyType: FindCoordinatorKeyTypes.TRANSACTION,
    keys: [transactionalId],
  });
  if (found === undefined || found.nodeId < 0) {
    throw new Error(`no coordinator for transactional id ${transactionalId}`);
  }
  return found.nodeId;
}

/** What a chaos run did, for its report. */
export interface ChaosTally {
  scriptKills: Map<string, number>;
  nodeKills: { node: number; pick: NodePick }[];
  seconds: number;
}

/** The I/O a chaos run needs; whoever runs the processes supplies it. */
export interface ChaosHooks {
  /** SIGKILLs the script `name` (waiting for it to be back if it is restarting). */
  killScript(name: string): Promise<void>;
  /** Which node a pick means now (busiest leader, a coordinator, the next one). */
  pickNode(pick: NodePick, killedBefore: readonly number[]): Promise<number>;
  /** SIGKILLs node `id`; resolves with something `nodeBack` can wait on. */
  killNode(id: number): Promise<unknown>;
  /** Waits until a killed node serves again. */
  nodeBack(killed: unknown): Promise<void>;
  /** Called about every 100 ms between events (to send orders meanwhile, say). */
  tick?(elapsedMs: number): Promise<void>;
}

/**
 * Plays `plan` in real time. One node is down at a time (three voters
 * survive the loss of one, not two); scripts are killed meanwhile. Resolves
 * once the last killed node serves again.
 */
export async function runChaos(
  plan: readonly ChaosEvent[],
  hooks: ChaosHooks,
): Promise<ChaosTally> {
  const started = Date.now();
  const tally: ChaosTally = { scriptKills: new Map(), nodeKills: [], seconds: 0 };
  let down: unknown;
  for (const event of plan) {
    while (Date.now() - started < event.atMs) {
      await hooks.tick?.(Date.now() - started);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (event.kind === "script") {
      await hooks.killScript(event.target);
      tally.scriptKills.set(event.target, (tally.scriptKills.get(event.target) ?? 0) + 1);
      continue;
    }
    if (down !== undefined) await hooks.nodeBack(down);
    const node = await hooks.pickNode(event.pick, tally.nodeKills.map((k) => k.node));
    down = await hooks.killNode(node);
    tally.nodeKills.push({ node, pick: event.pick });
  }
  if (down !== undefined) await hooks.nodeBack(down);
  tally.seconds = Math.round((Date.now() - started) / 1000);
  return tally;
}

/** The topics whose leaders "most-leaders" counts: the pipeline's main flow. */
export const LEADER_TOPICS = ["orders", "inventory_orders", "delivery_orders", "order_status"];

/** The node a pick means, from the cluster's metadata (an admin that may describe internal topics). */
export async function pickNode(
  admin: KafkaAdmin,
  pick: NodePick,
  nodes: readonly number[],
  killedBefore: readonly number[],
  transactionalId: string,
): Promise<number> {
  if (pick === "most-leaders") return await busiestLeader(admin, LEADER_TOPICS);
  if (pick === "transaction-coordinator") {
    return await transactionCoordinator(admin, transactionalId);
  }
  return nodes.find((id) => !killedBefore.includes(id)) ?? nodes[0];
}

/** One line for a report: kills by script, node kills and why. Pure. */
export function chaosSummary(tally: ChaosTally): string {
  const scripts = [...tally.scriptKills.entries()].map(([n, k]) => `${n} ${k}`).join(", ");
  const total = [...tally.scriptKills.values()].reduce((a, b) => a + b, 0);
  const nodes = tally.nodeKills.map((k) => `node ${k.node} (${k.pick})`).join(", ");
  return `chaos: ${total} script SIGKILLs (${scripts}); ${tally.nodeKills.length} node SIGKILLs` +
    `${nodes ? ` (${nodes})` : ""}; ${tally.seconds} s`;
}

/**
 * SIGKILLs `pid` with the `kill` command: `Deno.kill` needs every run
 * permission, `--allow-run=kill` only this one.
 */
export async function sigkill(pid: number): Promise<void> {
  const out = await new Deno.Command("kill", { args: ["-KILL", String(pid)], stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`kill -KILL ${pid}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * Whether `pid` runs, by `kill -0` (reading /proc/<pid> would need every
 * permission under Deno; a zombie not yet reaped counts as running).
 */
export async function isRunning(pid: number): Promise<boolean> {
  const out = await new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
    .output();
  return out.success;
}

/** A node of a local cluster killed by {@linkcode clusterNodes}: its id, pid then, starts then. */
export interface KilledNode {
  id: number;
  pid: number;
  starts: number;
}

interface ManifestNode {
  id: number;
  pid: number;
  running: boolean;
  logFile: string;
}

/**
 * Kills and awaits the nodes of the local cluster whose manifest
 * (`cluster.json`, rewritten by shared/dev/broker/local_kafka.ts on every
 * restart) is at `manifestFile`; the cluster restarts what is killed.
 */
export function clusterNodes(manifestFile: string) {
  const nodes = (): ManifestNode[] => JSON.parse(Deno.readTextFileSync(manifestFile)).nodes;
  return {
    ids: () => nodes().map((n) => n.id),
    async kill(id: number): Promise<KilledNode> {
      const node = nodes().find((n) => n.id === id);
      if (!node) throw new Error(`no node ${id} in ${manifestFile}`);
      if (!node.running || node.pid <= 0) throw new Error(`node ${id} is not running`);
      const killed = { id, pid: node.pid, starts: startCount(node.logFile) };
      await sigkill(node.pid);
      return killed;
    },
    /** Waits until `killed` runs again under a new pid and has started serving. */
    async back(killed: KilledNode, timeoutMs = 120_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const n = nodes().find((x) => x.id === killed.id)!;
        if (n.running && n.pid !== killed.pid && startCount(n.logFile) > killed.starts) return;
        if (Date.now() > deadline) {
          throw new Error(`node ${killed.id} did not come back within ${timeoutMs / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}
