/**
 * The chaos run: the whole pipeline (both routers, both consumers, the
 * aggregator) on the secured three-node cluster, each script as its own
 * principal, orders flowing the whole time, while at least 20 SIGKILLs hit
 * every script kind and 3 hit nodes: the node leading the most partitions,
 * the transaction coordinator of a routing producer, then another. Killed
 * scripts are restarted by the test's supervisor, killed nodes by the
 * cluster. Then `deno task verify --audit-only` audits every tagged order
 * with Kafka's own Java consumer (read_committed) and the database itself:
 * 0 lost, 0 duplicated, stock equal to the applied movements.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort } from "../../shared/dev/broker/local_kafka.ts";
import { TOPICS } from "../../shared/kafka/topics.ts";
import {
  chaosSchedule,
  isRunning,
  pickNode,
  runChaos,
  sigkill,
} from "../../shared/verify/chaos.ts";
import { startProcess, type SupervisedProcess } from "../../shared/dev/supervisor.ts";
import { taggedOrders } from "../../shared/verify/tagged_orders.ts";
import { sendTaggedOrders } from "../../shared/verify/verify_run.ts";
import { integration, testLogger, waitFor } from "../harness.ts";
import { type ScriptProcess, SERVICE_TEST_FLAGS, startScript } from "../pipeline.ts";
import {
  clusterAdmin,
  clusterManifest,
  connectionAs,
  type KilledNode,
  killNode,
  nodeBack,
  principalEnv,
} from "./cluster_harness.ts";

const CHAOS_MS = Number(Deno.env.get("CHAOS_SECONDS") ?? 150) * 1000;
const SCRIPT_KILLS = 20;
const NODE_KILLS = 3;
const PER_KIND = 25;

/** A script under the demo's supervisor: it comes back when it dies, as an orchestrator would. */
function supervise(
  entry: string,
  args: string[],
  principal: string,
  logDir: string,
): Promise<SupervisedProcess> {
  return startProcess({
    entry,
    args,
    logDir,
    env: principalEnv(principal),
    restartOnCrash: { delayMs: 500, maxRestartsPerMinute: 30 },
    log: testLogger("supervisor"),
  });
}

const logOf = (p: SupervisedProcess) => Deno.readTextFile(p.logFile).catch(() => "");

Deno.test(
  "chaos: SIGKILLs of every script kind and of three nodes lose and duplicate nothing",
  integration,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "chaos-" });
    const databaseUrl = `sqlite:${join(dir, "store.sqlite")}`;
    const registryPort = freePort();
    const registryUrl = `http://127.0.0.1:${registryPort}`;
    const quiet = SERVICE_TEST_FLAGS;
    const registry = startScript(
      "scripts/schema_registry.ts",
      ["--port", String(registryPort)],
      principalEnv("schema_registry"),
    );
    const scripts: SupervisedProcess[] = [];
    const extras: ScriptProcess[] = [registry];
    const started = Date.now();
    try {
      await waitFor("the registry", () => /schema registry listening/.test(registry.output()), {
        timeoutMs: 120_000,
      });
      for (const kind of ["inventory", "delivery"]) {
        scripts.push(
          await supervise(
            `producers/${kind}_orders_producer.ts`,
            ["--registry-url", registryUrl, ...quiet],
            `${kind}_orders_producer`,
            dir,
          ),
          await supervise(
            `consumers/${kind}_data_consumer.ts`,
            ["--registry-url", registryUrl, "--database-url", databaseUrl, ...quiet],
            `${kind}_data_consumer`,
            dir,
          ),
        );
      }
      scripts.push(
        await supervise("scripts/aggregator.ts", ["--http-port", "0", ...quiet], "aggregator", dir),
      );
      // Load of its own the whole time, besides the tagged orders.
      const load = startScript(
        "scripts/order_generator.ts",
        ["--rate", "20", "--invalid-rate", "0.05"],
        principalEnv("order_generator"),
      );
      extras.push(load);
      await waitFor(
        "every script consuming",
        async () =>
          (await Promise.all(scripts.map(logOf))).every((log) => /partitions assigned/.test(log)),
        { timeoutMs: 180_000 },
      );

      const runs: string[] = [];
      const verifier = connectionAs("verify");
      const sendRun = async (n: number) => {
        const runId = `chaos${started.toString(36)}${n}`;
        await sendTaggedOrders(verifier, TOPICS.orders.name, taggedOrders(runId, PER_KIND));
        runs.push(runId);
      };
      await sendRun(0);

      const admin = clusterAdmin();
      const sends = [0.35, 0.7];
      const tally = await runChaos(
        chaosSchedule({
          scripts: scripts.map((s) => s.name),
          scriptKills: SCRIPT_KILLS,
          nodeKills: NODE_KILLS,
          durationMs: CHAOS_MS,
          seed: started,
        }),
        {
          async killScript(name) {
            const s = scripts.find((x) => x.name === name)!;
            // Killed while it was still coming back: wait for the new one, then kill it.
            const pid = await waitFor(
              `${s.name} running`,
              () => isRunning(s.pid).then((up) => (up ? s.pid : undefined)),
              {
                timeoutMs: 60_000,
              },
            );
            await sigkill(pid);
          },
          pickNode: (pick, before) =>
            pickNode(
              admin,
              pick,
              clusterManifest().nodes.map((n) => n.id),
              before,
              "inventory-orders-producer-orders-0",
            ),
          killNode: (id) => killNode(id),
          nodeBack: (killed) => nodeBack(killed as KilledNode),
          async tick(elapsed) {
            if (sends.length && elapsed >= sends[0] * CHAOS_MS) {
              sends.shift();
              await sendRun(runs.length);
            }
          },
        },
      );
      while (sends.length) {
        sends.shift();
        await sendRun(runs.length);
      }
      await admin.close();
      const kills = tally.scriptKills;
      const nodeKills = tally.nodeKills.map((k) => ({ node: k.node, why: k.pick }));
      const chaosSeconds = tally.seconds;

      // The audit, run after the chaos: each tagged run exactly once everywhere.
      const drainStart = Date.now();
      const totals = { sent: 0, lost: 0, duplicated: 0 };
      for (const runId of runs) {
        const audit = startScript("scripts/verify.ts", [
          "--audit-only",
          "--run-id",
          runId,
          "--count",
          String(PER_KIND),
          "--registry-url",
          registryUrl,
          "--database-url",
          databaseUrl,
          "--timeout-seconds",
          "300",
        ], principalEnv("verify"));
        const status = await audit.status;
        const out = audit.output();
        assert.equal(status.code, 0, `verify ${runId}:\n${out.slice(-4000)}`);
        const total = /^total\s+sent=(\d+) .*lost=(\d+) duplicated=(\d+)/m.exec(out);
        assert.ok(total, out);
        totals.sent += Number(total[1]);
        totals.lost += Number(total[2]);
        totals.duplicated += Number(total[3]);
      }
      const drainSeconds = Math.round((Date.now() - drainStart) / 1000);

      const kinds = [
        "inventory_orders_producer",
        "delivery_orders_producer",
        "inventory_data_consumer",
        "delivery_data_consumer",
        "aggregator",
      ];
      const scriptKillCount = [...kills.values()].reduce((a, b) => a + b, 0);
      console.log(
        `chaos figures: ${totals.sent} tagged orders in ${runs.length} runs (plus the generator's load), ` +
          `${scriptKillCount} script SIGKILLs (${
            kinds.map((k) => `${k} ${kills.get(k) ?? 0}`).join(", ")
          }), ` +
          `${nodeKills.length} node SIGKILLs (${
            nodeKills.map((k) => `node ${k.node}: ${k.why}`).join(", ")
          }), ` +
          `lost ${totals.lost}, duplicated ${totals.duplicated}, chaos ${chaosSeconds} s, audit ${drainSeconds} s`,
      );
      assert.ok(scriptKillCount >= SCRIPT_KILLS, `at least ${SCRIPT_KILLS} script kills`);
      for (const k of kinds) assert.ok((kills.get(k) ?? 0) >= 4, `${k} killed at least 4 times`);
      assert.ok(nodeKills.length >= NODE_KILLS, "at least 3 node kills");
      assert.deepEqual(nodeKills.slice(0, 2).map((k) => k.why), [
        "most-leaders",
        "transaction-coordinator",
      ]);
      assert.equal(totals.lost, 0);
      assert.equal(totals.duplicated, 0);
      assert.equal(totals.sent, runs.length * PER_KIND * 4);
    } finally {
      await Promise.all(scripts.map((s) => s.stop()));
      for (const p of extras) p.kill("SIGTERM");
      await Promise.all(extras.map((p) => p.status));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
