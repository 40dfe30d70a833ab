/**
 * `deno task demo --nodes 3 --secure` end to end: with KAFKA_BROKERS unset
 * the demo starts a secured three-node cluster of its own, each script
 * process connects as its own principal (its catalog name) and does its
 * work under exactly the ACLs the catalog grants it, orders flow end to
 * end, the HTTP surfaces want the generated login over TLS from the
 * cluster's CA, the run manifest names every process, and afterwards
 * nothing it started is left running.
 *
 * It runs its own cluster next to the suite's broker: on a small machine
 * it is slow (minutes), so it bounds the demo with a kill timer.
 */
import assert from "node:assert/strict";
import { scriptByEntry, scriptByName } from "../scripts/services.ts";
import {
  type DemoManifest,
  demoManifestPath,
  readDemoManifest,
} from "../shared/dev/demo_manifest.ts";
import { defaultCacheDir } from "../shared/dev/broker/local_kafka.ts";
import type { ClusterManifest } from "../shared/dev/broker/local_kafka.ts";
import { demoOutput } from "./demo_output.ts";
import { integration, waitFor } from "./harness.ts";

function alive(pid: number): boolean {
  try {
    // A zombie (killed, not yet reaped) counts as gone.
    return !/^State:\s+Z/m.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
}

/** The environment a running process was started with (Linux /proc). */
function environOf(pid: number): Record<string, string> {
  const text = Deno.readTextFileSync(`/proc/${pid}/environ`);
  return Object.fromEntries(
    text.split("\0").filter(Boolean).map((kv) => {
      const at = kv.indexOf("=");
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );
}

/** A line in each script's log that it writes only once its Kafka clients are in. */
const CONNECTED: Record<string, RegExp> = {
  inventory_orders_producer: /partitions assigned/,
  delivery_orders_producer: /partitions assigned/,
  inventory_data_consumer: /partitions assigned/,
  delivery_data_consumer: /partitions assigned/,
  carrier_simulator: /partitions assigned/,
  aggregator: /partitions assigned/,
  dashboard: /following the pipeline's topics/,
  order_status_service: /reading the status stream/,
  order_gateway: /connected to Kafka/,
  order_generator: /"msg":"topic exists"/,
  notifier: /partitions assigned/,
  // Not a Kafka client: it only has to be up.
  smtp_sink: /smtp sink listening/,
};

Deno.test(
  "demo --nodes 3 --secure: each script as its own principal, orders flow, nothing left running",
  integration,
  async () => {
    const demo = scriptByEntry("scripts/dev/demo.ts")!;
    const env = Deno.env.toObject();
    // The demo starts its own cluster only where KAFKA_BROKERS names none.
    delete env.KAFKA_BROKERS;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...demo.permissions,
        demo.entry,
        "--nodes",
        "3",
        "--secure",
        "--kafka-heap-mb",
        "384",
        "--duration",
        "30",
        "--rate",
        "5",
        "--registry-port",
        "0",
        "--status-interval",
        "5",
      ],
      env: { ...env, NO_COLOR: "1" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Bounded: the whole run (cluster start, 30 s of load, drain, stop) in 8 minutes.
    const guard = setTimeout(() => {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
    }, 480_000);
    const output = child.output();
    const manifestFile = demoManifestPath(defaultCacheDir());
    let running: DemoManifest | undefined;
    let nodePids: number[] = [];
    try {
      running = await waitFor("the demo's run manifest", async () => {
        const m = await readDemoManifest(manifestFile);
        return m.demoPid === child.pid && m.state === "running" ? m : undefined;
      }, { timeoutMs: 300_000, intervalMs: 500 });
      assert.equal(running.secure, true);
      assert.match(running.registryUrl, /^https:/);
      assert.ok(running.caFile && running.credentialsFile && running.clusterManifest);

      // Every script runs as its own principal: its own name, its own password.
      const names = running.processes.map((p) => p.name).sort();
      assert.deepEqual(names, Object.keys(CONNECTED).sort());
      const passwords = new Set<string>();
      for (const p of running.processes) {
        assert.ok(p.pid > 0, `${p.name} has a pid`);
        const e = environOf(p.pid);
        if (!scriptByName(p.name)?.kafka) {
          assert.equal(e.KAFKA_SASL_USERNAME, undefined, `${p.name} gets no Kafka credentials`);
          continue;
        }
        assert.equal(e.KAFKA_SASL_USERNAME, p.name, `${p.name} connects as itself`);
        assert.equal(e.KAFKA_SSL, "true");
        assert.equal(e.KAFKA_SSL_CA_FILE, running.caFile);
        passwords.add(e.KAFKA_SASL_PASSWORD);
      }
      assert.equal(
        passwords.size,
        running.processes.filter((p) => scriptByName(p.name)?.kafka).length,
        "one password per principal",
      );

      const cluster = JSON.parse(
        await Deno.readTextFile(running.clusterManifest!),
      ) as ClusterManifest;
      nodePids = cluster.nodes.map((n) => n.pid);
      assert.equal(nodePids.length, 3);
      for (const pid of nodePids) assert.ok(alive(pid), `node pid ${pid} runs`);

      // The HTTP surfaces want the generated login, over TLS from the cluster's CA.
      const login = JSON.parse(await Deno.readTextFile(running.credentialsFile!)) as {
        http: { username: string; password: string };
        registry: { username: string; password: string };
      };
      const client = Deno.createHttpClient({
        caCerts: [await Deno.readTextFile(running.caFile!)],
      });
      try {
        const status = async (url: string, user?: { username: string; password: string }) => {
          const res = await fetch(url, {
            client,
            headers: user
              ? { authorization: `Basic ${btoa(`${user.username}:${user.password}`)}` }
              : {},
          });
          await res.body?.cancel();
          return res.status;
        };
        // Started is not yet listening: wait until the status service answers at all.
        const first = await waitFor(
          "the order status service to answer over TLS",
          () => status("https://127.0.0.1:8082/orders/none"),
          { timeoutMs: 60_000, intervalMs: 500 },
        );
        assert.equal(first, 401);
        assert.equal(await status("https://127.0.0.1:8082/orders/none", login.http), 404);
        assert.equal(await status(`${running.registryUrl}/subjects`), 401);
        assert.equal(await status(`${running.registryUrl}/subjects`, login.registry), 200);
      } finally {
        client.close();
      }
    } catch (err) {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      const out = await output;
      throw new Error(
        `${(err as Error).message}\n${new TextDecoder().decode(out.stderr).slice(-4000)}`,
      );
    }

    const out = await output;
    clearTimeout(guard);
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stdout + stderr.slice(-4000));
    assert.match(stdout, /SASL_SSL/);
    assert.match(stdout, /Order gateway\s+https:\/\//);
    assert.match(stdout, /HTTP login\s+demo:\S+/);

    // Orders flowed end to end, each stage as its own principal.
    const { figure, stat } = demoOutput(stdout);
    const generated = figure("ordersGenerated");
    const consumed = figure("rawOrdersConsumed");
    const delivery = figure("deliveryOrdersRouted");
    assert.ok(generated > 20, "orders flowed");
    assert.equal(consumed, generated, "the producers drained every generated order");
    assert.ok(figure("inventoryOrdersRouted") > 0 && delivery > 0, "both producers routed");
    assert.ok(figure("stockReserved") > 0, "the inventory consumer applied stock movements");
    assert.equal(figure("deliveriesScheduled"), delivery, "every routed delivery was scheduled");
    assert.ok(figure("deliveriesDelivered") > 0, "the carrier simulator moved deliveries on");
    assert.equal(stat("Total orders processed") + stat("Invalid orders"), consumed);
    // At least: on this cluster a routing producer has been seen writing one
    // dead letter twice (both committed), which the aggregator then counts twice.
    assert.ok(
      stat("Dead-lettered") >= figure("deadLettered") + figure("consumerDeadLettered") &&
        figure("deadLettered") > 0,
      "the aggregator reads the routers' dead-letter topic too",
    );

    // Each script connected, and was never refused: no denial, no error, no restart.
    const stopped = await readDemoManifest(manifestFile);
    assert.equal(stopped.state, "stopped");
    for (const p of stopped.processes) {
      const log = await Deno.readTextFile(p.logFile);
      assert.match(log, CONNECTED[p.name], `${p.name} connected:\n${log.slice(-2000)}`);
      assert.doesNotMatch(log, /denied|authoriz|authentication failed/i, `${p.name}: ${log}`);
      assert.doesNotMatch(log, /"level":"error"/, `${p.name}: ${log.slice(-2000)}`);
      assert.equal(p.restarts, 0, `${p.name} never crashed`);
    }
    assert.doesNotMatch(stderr, /denied|authoriz/i);

    // Nothing is left running: no script, no node.
    for (const p of stopped.processes) assert.equal(alive(p.pid), false, `${p.name} still runs`);
    for (const p of running.processes) assert.equal(alive(p.pid), false, `${p.name} still runs`);
    for (const pid of nodePids) assert.equal(alive(pid), false, `node pid ${pid} still runs`);
  },
);
