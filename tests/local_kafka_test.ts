/**
 * The local Apache Kafka as a user meets it: a broker that starts, serves
 * Kafka's own tools and stops cleanly; a start-up failure that names the
 * log; a broker orphaned by a killed process that the next start stops; and
 * a missing Java that is one sentence, not a stack trace.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  KAFKA_VERSION,
  kafkaTool,
  provisionKafka,
  startLocalKafka,
  sweepOrphans,
} from "../shared/dev/broker/local_kafka.ts";
import { createAdmin } from "../shared/kafka/client.ts";
import { javaClientProperties } from "../shared/dev/broker/cluster_security.ts";
import { integration, processAlive, testLogger, waitFor } from "./harness.ts";

const log = testLogger("local-kafka-test");

Deno.test(
  "a local broker starts, serves kafka-topics, and stops cleanly",
  integration,
  async () => {
    const cacheDir = Deno.env.get("KAFKA_CACHE_DIR");
    const broker = await startLocalKafka({ log, cacheDir, heapMb: 256 });
    try {
      assert.match(broker.bootstrap, /^127\.0\.0\.1:\d+$/);
      const create = await kafkaTool(broker.install, "kafka-topics", [
        "--bootstrap-server",
        broker.bootstrap,
        "--create",
        "--topic",
        "tool-made",
        "--partitions",
        "2",
      ], { stdout: "piped", stderr: "piped" }).output();
      assert.ok(create.success, new TextDecoder().decode(create.stderr));
      const list = await kafkaTool(broker.install, "kafka-topics", [
        "--bootstrap-server",
        broker.bootstrap,
        "--list",
      ], { stdout: "piped", stderr: "piped" }).output();
      assert.match(new TextDecoder().decode(list.stdout), /^tool-made$/m);
    } finally {
      await broker.stop();
    }
    assert.equal(processAlive(broker.pid), false, "the broker process is gone");
    await assert.rejects(Deno.stat(broker.runDir), "its run folder is removed");
  },
);

Deno.test("a broker that cannot start names its log", integration, async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const error = await startLocalKafka({ log, port, heapMb: 256, startTimeoutMs: 60_000 }).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.ok(error, "start-up must fail when the port is taken");
    assert.match(error.message, /exited during start-up/);
    assert.match(error.message, /\(log: .*broker\.log\)/);
  } finally {
    taken.close();
  }
});

Deno.test("the next start stops a broker whose owner was killed", integration, async () => {
  const runsDir = await Deno.makeTempDir();
  const runDir = join(runsDir, "orphan");
  await Deno.mkdir(runDir);
  // A dead owner: a process that has already exited.
  const dead = await new Deno.Command("true").spawn().status.then(() => 999_999_999);
  await Deno.writeTextFile(join(runDir, "owner.pid"), String(dead));
  // A stand-in broker whose command line names its run folder, as a real one does.
  const orphan = new Deno.Command("sh", { args: ["-c", `sleep 60; : ${runDir}`] }).spawn();
  await Deno.writeTextFile(join(runDir, "broker.pid"), String(orphan.pid));
  // A live owner's run is left alone.
  const keptDir = join(runsDir, "kept");
  await Deno.mkdir(keptDir);
  await Deno.writeTextFile(join(keptDir, "owner.pid"), String(Deno.pid));

  // Its heartbeat stopped long ago.
  const old = new Date(Date.now() - 10 * 60_000);
  await Deno.writeTextFile(join(runDir, "heartbeat"), "0");
  await Deno.utime(join(runDir, "heartbeat"), old, old);
  await Deno.utime(runDir, old, old);
  // A live owner in another pid namespace: invisible, but its heartbeat is fresh.
  const hiddenDir = join(runsDir, "hidden-owner");
  await Deno.mkdir(hiddenDir);
  await Deno.writeTextFile(join(hiddenDir, "owner.pid"), "999999998");
  await Deno.writeTextFile(join(hiddenDir, "heartbeat"), String(Date.now()));
  await Deno.utime(hiddenDir, old, old);
  await Deno.utime(keptDir, old, old);

  await sweepOrphans(runsDir, log);
  await Deno.stat(hiddenDir);
  const status = await orphan.status;
  assert.equal(status.signal, "SIGKILL");
  await assert.rejects(Deno.stat(runDir));
  await Deno.stat(keptDir);
  await Deno.remove(runsDir, { recursive: true });
});

Deno.test("without Java the CLI says what to install in one sentence", integration, async () => {
  const emptyCache = await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "scripts/dev/local_kafka.ts", "provision"],
    env: { PATH: "/nonexistent", KAFKA_CACHE_DIR: emptyCache, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(emptyCache, { recursive: true });
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 1);
  assert.match(stderr, /^local_kafka: Java 17 or newer is needed .*install/);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
});

Deno.test("a warm provision only checks the cache", integration, async () => {
  const started = performance.now();
  const install = await provisionKafka({ log, cacheDir: Deno.env.get("KAFKA_CACHE_DIR") });
  assert.ok(performance.now() - started < 5000);
  await waitFor(
    "kafka jars",
    () => Deno.stat(join(install.libsDir, `kafka-clients-${KAFKA_VERSION}.jar`)),
  );
});

Deno.test(
  "a secured node with mutual TLS: a client with its certificate and SCRAM login gets in, one without a certificate does not",
  integration,
  async () => {
    const broker = await startLocalKafka({
      log,
      cacheDir: Deno.env.get("KAFKA_CACHE_DIR"),
      heapMb: 256,
      secure: { principals: ["mtls-user"], mutualTls: true },
    });
    const security = broker.security!;
    const ca = await Deno.readTextFile(security.caFile);
    const sasl = {
      mechanism: "scram-sha-512" as const,
      username: "mtls-user",
      password: security.users["mtls-user"],
    };
    try {
      const withCert = createAdmin({
        brokers: [broker.bootstrap],
        clientId: "mtls",
        ssl: {
          ca,
          cert: await Deno.readTextFile(security.clientCert.certFile),
          key: await Deno.readTextFile(security.clientCert.keyFile),
        },
        sasl,
      });
      try {
        // No ACL lets it see a topic, but the login and the handshake went through.
        assert.deepEqual(await withCert.listTopics(), []);
      } finally {
        await withCert.close();
      }

      // Without its certificate, asked by Kafka's own admin tool: refused at the TLS handshake.
      // (@platformatic/kafka 2.12.1 rejects too, but then emits a second connection error
      // no listener takes, which ends the process: a library bug, see the issue note.)
      const config = await Deno.makeTempFile({ suffix: ".properties" });
      try {
        await Deno.writeTextFile(
          config,
          javaClientProperties({ credentials: sasl, caFile: security.caFile }) +
            "default.api.timeout.ms=20000\nrequest.timeout.ms=10000\n",
        );
        const refused = await kafkaTool(broker.install, "kafka-topics", [
          "--bootstrap-server",
          broker.bootstrap,
          "--list",
          "--command-config",
          config,
        ], { stdout: "piped", stderr: "piped" }).output();
        const said = new TextDecoder().decode(refused.stdout) +
          new TextDecoder().decode(refused.stderr);
        assert.equal(refused.success, false, "a client without a certificate got in");
        assert.match(said, /SSL handshake failed|SslAuthenticationException/i, said.slice(-2000));
      } finally {
        await Deno.remove(config);
      }
    } finally {
      await broker.stop();
    }
  },
);
