/**
 * The test runner behind `deno task test`: provides one broker for the
 * whole run (KAFKA_BROKERS, else Testcontainers, else the local Apache
 * Kafka JVM), waits until it serves groups and transactions, runs
 * `deno test` with KAFKA_BROKERS pointing at it, and stops the broker.
 *
 * Extra arguments go to `deno test`, e.g. `deno task test tests/broker_test.ts`.
 *
 *   deno run --allow-all scripts/run_tests.ts [deno test args]
 *
 * (It runs the test suite, which itself needs every permission.)
 * @module
 */
import { provideBroker } from "../shared/broker/provide.ts";
import { waitUntilReady } from "../shared/broker/ready.ts";
import { createKafka } from "../shared/kafka.ts";
import { createLogger } from "../shared/log.ts";

const log = createLogger({ name: "test-runner" });

async function main(): Promise<number> {
  // The suite must never start the runner again (a fork bomb, once).
  if (Deno.env.get("PIPELINE_TEST_RUNNER") === "1") {
    log.error("run_tests.ts was started from inside a test run; refusing to recurse");
    return 1;
  }
  let broker;
  try {
    broker = await provideBroker({ log });
  } catch (err) {
    log.error("no Kafka broker for the tests", { error: (err as Error).message });
    return 1;
  }
  let child: Deno.ChildProcess | undefined;
  const forward = (sig: Deno.Signal) => () => {
    try {
      child?.kill(sig);
    } catch { /* exited */ }
  };
  const onInt = forward("SIGINT"), onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    // The warm-up meets "coordinator loading" answers by design; keep them out of the output.
    const quiet = createLogger({ name: "test-runner", level: "error" });
    await waitUntilReady(
      createKafka({ brokers: broker.brokers, clientId: "test-runner" }, quiet),
      log,
    );
    const env: Record<string, string> = {
      KAFKA_BROKERS: broker.brokers.join(","),
      TEST_BROKER_KIND: broker.kind,
      PIPELINE_TEST_RUNNER: "1",
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
    };
    if (broker.local) env.KAFKA_TOOLS_CLASSPATH = broker.local.install.classpath;
    child = new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", ...Deno.args],
      env,
      stdin: "null",
    }).spawn();
    const status = await child.status;
    if (!status.success && broker.local) {
      log.info("the broker's log, for failures that involve it", { logFile: broker.local.logFile });
    }
    return status.code;
  } catch (err) {
    log.error("test run failed", { error: (err as Error).message, logFile: broker.local?.logFile });
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
    await broker.stop();
  }
}

Deno.exit(await main());
