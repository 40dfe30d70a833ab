/**
 * The test runner behind `deno task test`, in two phases:
 *
 * 1. the suite (every test but `tests/cluster/`) on one broker for the whole
 *    run: KAFKA_BROKERS, else Testcontainers, else the local Apache Kafka JVM;
 * 2. `tests/cluster/` on a secured three-node local cluster (SASL_SSL with
 *    SCRAM-SHA-512, ACLs, a principal per script), whose nodes the tests
 *    kill; a killed node restarts by itself on its own data. This phase needs
 *    the local JVM nodes, so it is skipped (and says so) where KAFKA_BROKERS
 *    names another cluster.
 *
 * It first checks what the run needs on the machine (shared/dev/prerequisites.ts)
 * and, when something is missing, says what and how to install it in one line.
 * Each phase waits until its brokers serve groups and transactions, runs
 * `deno test` with KAFKA_BROKERS pointing at them, and stops them. The last
 * line sums both phases in `deno test`'s own form.
 *
 * Extra arguments go to `deno test`, e.g. `deno task test tests/broker_test.ts`;
 * paths under tests/cluster/ run on the cluster.
 *
 *   deno run --allow-all scripts/dev/run_tests.ts [deno test args]
 *
 * (It runs the test suite, which itself needs every permission.)
 * @module
 */
import { kafkaPrincipals } from "../services.ts";
import { adminConnection, setUpPipeline } from "../../shared/dev/cluster_setup.ts";
import { provideBroker, type ProvidedBroker } from "../../shared/dev/broker/provide.ts";
import { type LocalKafka, startLocalKafka } from "../../shared/dev/broker/local_kafka.ts";
import { waitUntilReady } from "../../shared/dev/broker/ready.ts";
import { type KafkaConnection } from "../../shared/kafka/connection.ts";
import { createLogger } from "../../shared/platform/log.ts";
import {
  missingFor,
  missingLine,
  PREREQUISITES,
  probeMachine,
} from "../../shared/dev/prerequisites.ts";

const log = createLogger({ name: "test-runner" });
const CLUSTER_TESTS = "tests/cluster";
/** Set by Ctrl-C or SIGTERM during a phase: the next phase does not start. */
let interrupted = false;

interface PhaseResult {
  code: number;
  passed: number;
  failed: number;
}

/** Runs `deno test args` with `env`, echoing its output and reading its summary line. */
async function denoTest(args: string[], env: Record<string, string>): Promise<PhaseResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...args],
    env: { PIPELINE_TEST_RUNNER: "1", ...env },
    stdin: "null",
    stdout: "piped",
  }).spawn();
  const forward = (sig: Deno.Signal) => () => {
    interrupted = true;
    try {
      child.kill(sig);
    } catch { /* exited */ }
  };
  const onInt = forward("SIGINT"), onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  let tail = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of child.stdout) {
      await Deno.stdout.write(chunk);
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-8192);
    }
    const { code } = await child.status;
    // deno test's last line: "ok | 12 passed (3 steps) | 0 failed (1m2s)" (colours stripped).
    // deno-lint-ignore no-control-regex -- ANSI colour codes start with ESC
    const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
    const m = [...plain.matchAll(/(?:ok|FAILED) \| (\d+) passed[^|]*\| (\d+) failed/g)].pop();
    return { code, passed: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? (code ? 1 : 0)) };
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

/** Phase 1: the suite on one broker. */
async function suitePhase(args: string[]): Promise<PhaseResult> {
  let broker: ProvidedBroker;
  try {
    broker = await provideBroker({ log });
  } catch (err) {
    log.error("no Kafka broker for the tests", { error: (err as Error).message });
    return { code: 1, passed: 0, failed: 1 };
  }
  try {
    await ready({ brokers: broker.brokers, clientId: "test-runner" });
    const env: Record<string, string> = {
      KAFKA_BROKERS: broker.brokers.join(","),
      TEST_BROKER_KIND: broker.kind,
    };
    if (broker.local) env.KAFKA_TOOLS_CLASSPATH = broker.local.install.classpath;
    const result = await denoTest(args, env);
    if (result.code !== 0 && broker.local) {
      log.info("the broker's log, for failures that involve it", { logFile: broker.local.logFile });
    }
    return result;
  } catch (err) {
    log.error("test run failed", { error: (err as Error).message, logFile: broker.local?.logFile });
    return { code: 1, passed: 0, failed: 1 };
  } finally {
    await broker.stop();
  }
}

/** Phase 2: tests/cluster/ on a secured three-node cluster. */
async function clusterPhase(args: string[]): Promise<PhaseResult> {
  let cluster: LocalKafka;
  try {
    cluster = await startLocalKafka({
      log,
      nodes: 3,
      secure: { principals: kafkaPrincipals().map((p) => p.principal) },
      restartOnCrash: true,
      heapMb: 384,
    });
  } catch (err) {
    log.error("no secured cluster for the cluster tests", { error: (err as Error).message });
    return { code: 1, passed: 0, failed: 1 };
  }
  try {
    const admin = await adminConnection(cluster);
    await ready(admin);
    await setUpPipeline(admin, log);
    const result = await denoTest(args, {
      KAFKA_BROKERS: cluster.bootstrap,
      KAFKA_CLUSTER_MANIFEST: cluster.manifestFile,
      TEST_BROKER_KIND: "local-cluster",
      KAFKA_TOOLS_CLASSPATH: cluster.install.classpath,
    });
    if (result.code !== 0) {
      log.info("the nodes' logs, for failures that involve them", {
        logFiles: cluster.nodes.map((n) => n.logFile),
      });
    }
    return result;
  } catch (err) {
    log.error("cluster test run failed", { error: (err as Error).message });
    return { code: 1, passed: 0, failed: 1 };
  } finally {
    await cluster.stop(10_000);
  }
}

async function ready(connection: KafkaConnection): Promise<void> {
  await waitUntilReady(connection, log);
}

async function main(): Promise<number> {
  // The suite must never start the runner again (a fork bomb, once).
  if (Deno.env.get("PIPELINE_TEST_RUNNER") === "1") {
    log.error("run_tests.ts was started from inside a test run; refusing to recurse");
    return 1;
  }
  // Paths are the arguments naming a file or folder; everything else (a flag
  // and its value, e.g. `--filter foo`) goes to both phases as it is.
  const isPath = (a: string) => {
    try {
      return !a.startsWith("-") && Deno.statSync(a) !== undefined;
    } catch {
      return false;
    }
  };
  const paths = Deno.args.filter(isPath);
  const flags = Deno.args.filter((a) => !isPath(a));
  const isCluster = (p: string) => p.replace(/^\.\//, "").startsWith(CLUSTER_TESTS);
  const suitePaths = paths.filter((p) => !isCluster(p));
  const clusterPaths = paths.filter(isCluster);
  // What the run needs on the machine, first: one line naming what is
  // missing, rather than a test failing later on a missing program.
  const absent = missingFor(PREREQUISITES, probeMachine, paths);
  if (absent.length) {
    console.error(missingLine(absent));
    return 1;
  }
  const results: PhaseResult[] = [];
  if (paths.length === 0 || suitePaths.length > 0) {
    results.push(await suitePhase([...flags, `--ignore=${CLUSTER_TESTS}`, ...suitePaths]));
  }
  if (paths.length === 0 || clusterPaths.length > 0) {
    if (interrupted) {
      log.warn("cluster tests skipped: the run was interrupted");
    } else if (Deno.env.get("KAFKA_BROKERS")) {
      log.warn("cluster tests skipped: they kill local nodes, and KAFKA_BROKERS names a cluster");
    } else {
      results.push(
        await clusterPhase([...flags, ...(clusterPaths.length ? clusterPaths : [CLUSTER_TESTS])]),
      );
    }
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const code = results.find((r) => r.code !== 0)?.code ?? 0;
  if (results.length > 1) {
    console.log(
      `\n${code === 0 ? "ok" : "FAILED"} | ${passed} passed | ${failed} failed (both phases)`,
    );
  }
  return code;
}

Deno.exit(await main());
