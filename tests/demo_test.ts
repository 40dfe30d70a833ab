/**
 * `deno task demo` end to end on the suite's broker: it brings the pipeline
 * up, orders flow, invalid ones reach the DLQ, injected failures are
 * retried, the producers', consumers' and aggregator's figures add up, and
 * it stops by itself with every process it started gone.
 */
import assert from "node:assert/strict";
import { scriptByEntry, SCRIPTS } from "../scripts/services.ts";
import { demoOutput } from "./demo_output.ts";
import { integration, testBrokers } from "./harness.ts";

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test(
  "the demo runs for its duration, routes orders, and leaves nothing running",
  integration,
  async () => {
    const demo = scriptByEntry("scripts/dev/demo.ts")!;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...demo.permissions,
        demo.entry,
        "--duration",
        "20",
        "--rate",
        "100",
        "--invalid-rate",
        "0.1",
        "--registry-port",
        "0",
        "--status-interval",
        "5",
        "--failure-rate",
        "0.05",
      ],
      env: { KAFKA_BROKERS: testBrokers().join(","), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stdout + stderr.slice(-4000));
    assert.match(stdout, /Order pipeline demo: running/);

    const { figure, stat } = demoOutput(stdout);
    const generated = figure("ordersGenerated");
    const consumed = figure("rawOrdersConsumed");
    const inventory = figure("inventoryOrdersRouted");
    const delivery = figure("deliveryOrdersRouted");
    const dead = figure("deadLettered");
    const others = figure("otherTypesGenerated");
    assert.ok(generated > 100, "orders flowed");
    assert.ok(inventory > 0 && delivery > 0, "both producers routed");
    assert.ok(dead > 0, "invalid orders reached the DLQ");
    assert.equal(consumed, generated, "the producers drained every generated order");
    assert.equal(inventory + delivery + dead + others, consumed, "every order is accounted for");
    assert.ok(figure("stockMovements") >= inventory);
    // The consumers drained too: every stock movement had its effect, every delivery a schedule,
    // except the few whose four attempts all failed (5 % fail on purpose), which went to a DLQ.
    const stockEffects = figure("stockReserved") + figure("stockRefused") +
      figure("stockRestocked") + figure("stockReleased");
    const scheduled = figure("deliveriesScheduled");
    assert.ok(stockEffects <= figure("stockMovements"), "no stock movement applied twice");
    assert.ok(scheduled <= delivery, "no delivery scheduled twice");
    assert.equal(
      stockEffects + scheduled + figure("consumerDeadLettered"),
      figure("stockMovements") + delivery,
      "every stock movement was applied or refused and every routed delivery scheduled, " +
        "or dead-lettered after its retries",
    );
    assert.ok(figure("consumerAttemptsRetried") > 0, "injected failures were retried");

    // Seed 004's closing statistics, from the aggregator, agree with the producers.
    // The aggregator validates every type; the producers skip other types unvalidated.
    assert.equal(
      stat("Total orders processed") + stat("Invalid orders"),
      consumed,
      "every order folded, valid or not",
    );
    assert.ok(stat("Invalid orders") >= dead, "the invalid orders the producers dead-lettered");
    assert.ok(stat("Final running average") > 0);
    assert.equal(
      stat("Dead-lettered"),
      dead + figure("consumerDeadLettered"),
      "the aggregator counts every dead letter",
    );

    // It started each script the service table gives a demo part (all of them by default).
    const started = [...stderr.matchAll(/"msg":"started","part":"([a-z_]+)"/g)].map((m) => m[1]);
    assert.deepEqual(
      started,
      SCRIPTS.filter((s) => s.demo).map((s) => s.name),
      "the demo started the table's processes, in its order",
    );

    // Every process the demo started has exited.
    const pids = [...stderr.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(pids.length >= 4, "the demo names the pid of each process it starts");
    for (const pid of new Set(pids)) assert.equal(alive(pid), false, `pid ${pid} still running`);
  },
);
