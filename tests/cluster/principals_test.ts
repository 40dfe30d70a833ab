/**
 * On the secured three-node cluster (SASL_SSL, SCRAM-SHA-512, ACLs from the
 * catalog, nothing else): every script runs as its own principal and the
 * pipeline works end to end; each bad credential or missing permission ends
 * in one line naming what to fix, exit 1, in bounded time.
 */
import assert from "node:assert/strict";
// @ts-ignore: this project's @types/node (v18, pulled in by testcontainers) predates node:sqlite
import { DatabaseSync as UntypedDatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { kafkaPrincipals } from "../../scripts/services.ts";
import { freePort } from "../../shared/dev/broker/local_kafka.ts";
import { aclBindings, applyAcls, removeAcls } from "../../shared/kafka/acls.ts";
import { integration, uniqueName, waitFor } from "../harness.ts";
import { rawOrders, type ScriptProcess, startScript } from "../pipeline.ts";
import { clusterAdmin, clusterBrokers, principalEnv } from "./cluster_harness.ts";

interface Db {
  prepare(sql: string): { get(...params: unknown[]): unknown };
  close(): void;
}
const DatabaseSync = UntypedDatabaseSync as new (path: string, options?: object) => Db;

const ROUTER = "producers/inventory_orders_producer.ts";

/** What a long-running script needs here: free ports, quiet progress, quick rebalances. */
const QUIET = ["--metrics-port", "0", "--progress-interval", "0"];

function denied(output: string): string | undefined {
  return output.split("\n").find((l) => /denied|AUTHORIZATION_FAILED|refused the SASL/.test(l));
}

function assertOneLineFailure(proc: ScriptProcess, status: Deno.CommandStatus, line: RegExp) {
  const out = proc.output();
  assert.equal(status.code, 1, `exit 1 expected:\n${out.slice(-2000)}`);
  const errors = out.split("\n").filter((l) => l.includes('"level":"error"'));
  assert.equal(errors.length, 1, `one error line expected:\n${errors.join("\n")}`);
  assert.match(errors[0], line);
  assert.doesNotMatch(out, /\n\s+at /, "no stack trace");
}

/** Runs the inventory router with `env` until it exits (bounded), as a bad-credential case would. */
async function routerExit(env: Record<string, string>, registryUrl = "http://127.0.0.1:1") {
  const proc = startScript(ROUTER, ["--registry-url", registryUrl, ...QUIET], env);
  const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
  const status = await proc.status;
  clearTimeout(timer);
  return { proc, status };
}

Deno.test(
  "secured cluster: a wrong SCRAM password is refused in one line naming the user and mechanism",
  integration,
  async () => {
    const { proc, status } = await routerExit({
      ...principalEnv("inventory_orders_producer"),
      KAFKA_SASL_PASSWORD: "not-the-password",
    });
    assertOneLineFailure(
      proc,
      status,
      /refused the SASL login of \\"inventory_orders_producer\\" \(SCRAM-SHA-512\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
  },
);

Deno.test(
  "secured cluster: a plaintext client on the TLS port is told to turn TLS on",
  integration,
  async () => {
    const { proc, status } = await routerExit({ KAFKA_BROKERS: clusterBrokers().join(",") });
    assertOneLineFailure(proc, status, /connection closed without an answer.*set KAFKA_SSL=true/);
  },
);

Deno.test(
  "secured cluster: an untrusted certificate names KAFKA_SSL_CA_FILE",
  integration,
  async () => {
    const env = principalEnv("inventory_orders_producer");
    delete env.KAFKA_SSL_CA_FILE;
    const { proc, status } = await routerExit(env);
    assertOneLineFailure(
      proc,
      status,
      /certificate of Kafka .* is not trusted: set KAFKA_SSL_CA_FILE/,
    );
  },
);

Deno.test(
  "secured cluster: a principal lacking one ACL names the principal, operation and topic",
  integration,
  async () => {
    const access = kafkaPrincipals().find((p) => p.principal === "inventory_orders_producer")!;
    const writeTarget = aclBindings(access).filter((b) =>
      b.operation === "WRITE" && b.resourceType === "TOPIC" && b.resourceName === "inventory_orders"
    );
    assert.equal(writeTarget.length, 1);
    const admin = clusterAdmin();
    try {
      await removeAcls(admin, writeTarget);
      // ACL changes reach every node through the metadata log; wait until the router would see it.
      const { proc, status } = await waitFor("the router refused for the missing ACL", async () => {
        const run = await routerExit(principalEnv("inventory_orders_producer"));
        return /denied/.test(run.proc.output()) ? run : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500 });
      assertOneLineFailure(
        proc,
        status,
        /denied User:inventory_orders_producer Write on topic inventory_orders \(TOPIC_AUTHORIZATION_FAILED\): grant the ACLs of `deno task kafka acls`/,
      );
    } finally {
      await applyAcls(admin, writeTarget);
      await admin.close();
    }
  },
);

Deno.test(
  "secured cluster: every script runs as its own principal and orders flow end to end",
  integration,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "principals-" });
    const database = `sqlite:${join(dir, "store.sqlite")}`;
    const registryPort = freePort();
    const registryUrl = `http://127.0.0.1:${registryPort}`;
    const procs: ScriptProcess[] = [];
    const start = (entry: string, args: string[], principal: string) => {
      const p = startScript(entry, args, principalEnv(principal));
      procs.push(p);
      return p;
    };
    const logged = (p: ScriptProcess, what: RegExp) =>
      waitFor(`${what}`, () => {
        const d = denied(p.output());
        if (d) throw new Error(`refused: ${d}`);
        return what.exec(p.output())?.[1];
      }, { timeoutMs: 120_000 });
    try {
      const registry = start(
        "scripts/schema_registry.ts",
        ["--port", String(registryPort)],
        "schema_registry",
      );
      await logged(registry, /"url":"(http[^"]+)"/);
      const fast = ["--session-timeout-ms", "6000"];
      for (const kind of ["inventory", "delivery"]) {
        start(
          `producers/${kind}_orders_producer.ts`,
          ["--registry-url", registryUrl, ...QUIET, ...fast],
          `${kind}_orders_producer`,
        );
        start(
          `consumers/${kind}_data_consumer.ts`,
          ["--registry-url", registryUrl, "--database-url", database, ...QUIET, ...fast],
          `${kind}_data_consumer`,
        );
      }
      start(
        "scripts/carrier_simulator.ts",
        ["--registry-url", registryUrl, "--delay-ms", "200", ...QUIET, ...fast],
        "carrier_simulator",
      );
      const aggregator = start(
        "scripts/aggregator.ts",
        ["--http-port", "0", ...QUIET, ...fast],
        "aggregator",
      );
      const status = start(
        "scripts/order_status_service.ts",
        ["--port", "0"],
        "order_status_service",
      );
      const dashboard = start(
        "scripts/dashboard.ts",
        ["--port", "0", "--metrics-port", "0", "--scrape", ""],
        "dashboard",
      );
      const gateway = start("scripts/order_gateway.ts", ["--port", "0"], "order_gateway");
      const gatewayUrl = await logged(gateway, /"url":"(http[^"]+\/orders)"/);
      const statusUrl = await logged(status, /"url":"(http[^"]+)\/orders\/:id"/);
      await logged(dashboard, /"url":"(http[^"]+)"/);
      await logged(aggregator, /"stats":"(http[^"]+\/stats)"/);

      // Orders in through the gateway: inventory and delivery, ids of this test's own.
      const run = uniqueName("principals");
      const ids = { inventory: [] as string[], delivery: [] as string[] };
      for (const type of ["inventory", "delivery"] as const) {
        const generated = rawOrders(10, { seed: 7, invalidRate: 0, mix: { [type]: 1 } });
        for (const [i, record] of generated.entries()) {
          const orderId = `${run}-${type}-${i}`;
          ids[type].push(orderId);
          // 503 until the gateway's producer has connected; then every order is taken.
          await waitFor(`the gateway takes ${orderId}`, async () => {
            const res = await fetch(gatewayUrl, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ ...JSON.parse(record.value), orderId }),
            });
            const body = await res.text();
            if (res.status !== 202 && res.status !== 503) throw new Error(`${res.status} ${body}`);
            return res.status === 202;
          }, { timeoutMs: 60_000, intervalMs: 500 });
        }
      }
      // Their effects, read from the database itself.
      await waitFor("every order applied by the consumers", () => {
        let db: Db | undefined;
        try {
          db = new DatabaseSync(join(dir, "store.sqlite"), { readOnly: true });
          const lines = db.prepare(
            "SELECT COUNT(DISTINCT order_id) AS n FROM inventory_lines WHERE order_id LIKE ?",
          ).get(`${run}-inventory-%`) as { n: number };
          const deliveries = db.prepare(
            "SELECT COUNT(*) AS n FROM deliveries WHERE order_id LIKE ?",
          ).get(`${run}-delivery-%`) as { n: number };
          return lines.n === 10 && deliveries.n === 10;
        } catch {
          return false;
        } finally {
          db?.close();
        }
      }, { timeoutMs: 180_000, intervalMs: 500 });
      // The status service answers from order_status, which it reads as its own principal.
      await waitFor("the status service knows an order", async () => {
        const res = await fetch(`${statusUrl}/orders/${ids.inventory[0]}`);
        await res.body?.cancel();
        return res.status === 200;
      }, { timeoutMs: 60_000 });

      // The one-shot scripts, each as its own principal.
      const oneShot = async (entry: string, args: string[], principal: string) => {
        const p = startScript(entry, args, principalEnv(principal));
        const s = await p.status;
        assert.equal(s.code, 0, `${entry}:\n${p.output().slice(-2000)}`);
        assert.equal(denied(p.output()), undefined);
      };
      await oneShot(
        "scripts/order_generator.ts",
        ["--count", "20", "--rate", "200"],
        "order_generator",
      );
      const ndjson = join(dir, "orders.ndjson");
      await Deno.writeTextFile(
        ndjson,
        JSON.stringify({
          ...JSON.parse(rawOrders(1, { seed: 3, invalidRate: 0, mix: { inventory: 1 } })[0].value),
          orderId: `${run}-import-0`,
        }) + "\n",
      );
      await oneShot("scripts/order_import.ts", ["--file", ndjson], "order_import");
      await oneShot("scripts/dlq_replayer.ts", ["list"], "dlq_replayer");

      for (const p of procs) {
        assert.equal(denied(p.output()), undefined, `refused:\n${p.output().slice(-1500)}`);
      }
      for (const p of procs) p.kill("SIGTERM");
      for (const p of procs) {
        const s = await p.status;
        assert.equal(s.code, 0, `clean exit expected:\n${p.output().slice(-2000)}`);
      }
    } finally {
      for (const p of procs) p.kill("SIGKILL");
      await Promise.all(procs.map((p) => p.status));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
