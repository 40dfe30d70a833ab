/**
 * shared/dev/supervisor.ts with `restartOnCrash`, on real processes: a script
 * SIGKILLed comes back with a new pid, on the same command and log, and
 * serves again; `stop()` ends it for good; a script that fails at start is
 * given up on after the cap, with one line saying so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startProcess } from "../shared/dev/supervisor.ts";
import { freePort } from "../shared/dev/broker/local_kafka.ts";
import { createLogger } from "../shared/platform/log.ts";
import { integration, processAlive, testBrokers, waitFor } from "./harness.ts";

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`);
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

Deno.test(
  "a SIGKILLed script comes back with a new pid and serves again",
  integration,
  async () => {
    const logDir = await Deno.makeTempDir({ prefix: "supervisor-test-" });
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const lines: string[] = [];
    const gateway = await startProcess({
      entry: "scripts/order_gateway.ts",
      args: ["--brokers", testBrokers().join(","), "--port", String(port)],
      logDir,
      restartOnCrash: { delayMs: 500 },
      log: createLogger({ name: "supervisor", write: (l) => lines.push(l) }),
    });
    try {
      await waitFor("the gateway to serve", () => healthy(url), { timeoutMs: 60_000 });
      const first = gateway.pid;
      assert.equal(gateway.restarts, 0);
      Deno.kill(first, "SIGKILL");
      await waitFor("a restart", () => gateway.restarts === 1, { timeoutMs: 30_000 });
      assert.notEqual(gateway.pid, first, "a new pid");
      assert.equal(processAlive(first), false);
      await waitFor("the restarted gateway to serve", () => healthy(url), { timeoutMs: 60_000 });
      const res = await fetch(`${url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          type: "inventory",
          customerId: "cust-7",
          items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 9.99 }],
        }),
      });
      await res.body?.cancel();
      assert.equal(res.status, 202, "the restarted gateway takes orders into Kafka");
      // The log holds both runs: appended on the restart, not truncated.
      const log = await Deno.readTextFile(gateway.logFile);
      assert.equal(log.split("order gateway listening").length - 1, 2, log);
      assert.ok(lines.some((l) => l.includes("restarting it")), lines.join("\n"));

      const second = gateway.pid;
      await gateway.stop();
      assert.equal(processAlive(second), false);
      // Stopped for good: supervision has ended, with no further restart.
      await gateway.exited;
      assert.equal(gateway.restarts, 1);
      assert.equal(await healthy(url), false);
    } finally {
      await gateway.stop();
      await Deno.remove(logDir, { recursive: true });
    }
  },
);

Deno.test("a script that fails at start is given up on after the cap", integration, async () => {
  const logDir = await Deno.makeTempDir({ prefix: "supervisor-test-" });
  const lines: string[] = [];
  const broken = await startProcess({
    entry: "scripts/order_gateway.ts",
    // Not host:port: the gateway ends at once with one line, exit 2.
    args: ["--brokers", "nowhere", "--port", "0"],
    logDir,
    restartOnCrash: { delayMs: 100, maxRestartsPerMinute: 2 },
    log: createLogger({ name: "supervisor", write: (l) => lines.push(l) }),
  });
  try {
    const status = await broken.exited;
    assert.equal(status.success, false);
    assert.equal(broken.restarts, 2);
    assert.equal(lines.filter((l) => l.includes("left down")).length, 1, lines.join("\n"));
    const log = await Deno.readTextFile(join(logDir, "order_gateway.log"));
    assert.equal(log.split("--brokers").length - 1 >= 3, true, log);
  } finally {
    await broken.stop();
    await Deno.remove(logDir, { recursive: true });
  }
});
