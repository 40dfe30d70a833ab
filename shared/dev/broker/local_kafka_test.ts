import assert from "node:assert/strict";
import {
  bootstrapOf,
  type BrokerLayout,
  brokerProperties,
  clusterStartTimeoutMs,
  freePort,
  KAFKA_TOOLS,
  type KafkaInstall,
  kafkaTool,
  type KafkaToolName,
  LocalKafkaError,
  log4jConfig,
  newClusterId,
  nodeLayouts,
  replicationFor,
  validNodeCount,
} from "./local_kafka.ts";

const LAYOUT: BrokerLayout = {
  nodeId: 1,
  port: 40123,
  controllerPort: 40124,
  dataDir: "/tmp/kafka-run/data",
};

/** server.properties text → key/value map; fails on a duplicate key. */
function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    assert.ok(eq > 0, `not key=value: ${line}`);
    const key = line.slice(0, eq);
    assert.ok(!props.has(key), `duplicate key ${key}`);
    props.set(key, line.slice(eq + 1));
  }
  return props;
}

/** Asserts each of `expected`'s properties has its value in `props`. */
function assertProperties(props: Map<string, string>, expected: Record<string, string>): void {
  for (const [key, value] of Object.entries(expected)) assert.equal(props.get(key), value, key);
}

// ---------------------------------------------------------------- brokerProperties

Deno.test("brokerProperties: KRaft combined mode, this node the only voter", () => {
  const p = parseProperties(brokerProperties(LAYOUT));
  assertProperties(p, {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": "1@127.0.0.1:40124",
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
  });
});

Deno.test("brokerProperties: loopback listeners on the given ports", () => {
  const p = parseProperties(brokerProperties(LAYOUT));
  assert.equal(
    p.get("listeners"),
    "PLAINTEXT://127.0.0.1:40123,CONTROLLER://127.0.0.1:40124",
  );
  assert.equal(p.get("advertised.listeners"), "PLAINTEXT://127.0.0.1:40123");
  for (const key of ["listeners", "advertised.listeners", "controller.quorum.voters"]) {
    assert.ok(!p.get(key)!.includes("0.0.0.0"), `${key} must stay on loopback`);
  }
});

Deno.test("brokerProperties follows the layout it is given", () => {
  const p = parseProperties(
    brokerProperties({ nodeId: 7, port: 1111, controllerPort: 2222, dataDir: "/d/x y" }),
  );
  assertProperties(p, {
    "node.id": "7",
    "controller.quorum.voters": "7@127.0.0.1:2222",
    "listeners": "PLAINTEXT://127.0.0.1:1111,CONTROLLER://127.0.0.1:2222",
    "advertised.listeners": "PLAINTEXT://127.0.0.1:1111",
    "log.dirs": "/d/x y",
  });
});

Deno.test("brokerProperties: topics are never created by accident", () => {
  const p = parseProperties(brokerProperties(LAYOUT));
  assert.equal(p.get("auto.create.topics.enable"), "false");
});

Deno.test("brokerProperties: internal topics sized for a single node", () => {
  const p = parseProperties(brokerProperties(LAYOUT));
  assertProperties(p, {
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "log.dirs": "/tmp/kafka-run/data",
    "group.initial.rebalance.delay.ms": "0",
  });
});

Deno.test("brokerProperties is newline-terminated key=value lines only", () => {
  const text = brokerProperties(LAYOUT);
  assert.ok(text.endsWith("\n"));
  for (const line of text.trimEnd().split("\n")) {
    assert.match(line, /^[a-z][a-z0-9.]*=\S.*$/, line);
  }
});

// ---------------------------------------------------------------- log4jConfig

Deno.test("log4jConfig writes to the file it names, at INFO", () => {
  const yaml = log4jConfig("/runs/abc/broker.log");
  assert.ok(yaml.includes(`fileName: "/runs/abc/broker.log"`), yaml);
  assert.match(yaml, /Root:\n\s+level: INFO/);
  assert.match(yaml, /ref: FILE/);
  assert.match(yaml, /name: kafka\.request\.logger\n\s+level: WARN/);
  assert.ok(yaml.endsWith("\n"));
  assert.ok(!yaml.includes("\t"), "YAML must not contain tabs");
});

Deno.test("log4jConfig names only the given file", () => {
  const a = log4jConfig("/a.log");
  const b = log4jConfig("/b.log");
  assert.ok(a.includes("/a.log") && !a.includes("/b.log"));
  assert.equal(a.replace("/a.log", "/b.log"), b);
});

// ---------------------------------------------------------------- newClusterId

Deno.test("newClusterId is 22 characters of base64url (16 bytes, unpadded)", () => {
  for (let i = 0; i < 200; i++) {
    const id = newClusterId();
    assert.match(id, /^[A-Za-z0-9_-]{22}$/, id);
    const b64 = id.replace(/-/g, "+").replace(/_/g, "/") + "==";
    assert.equal(atob(b64).length, 16, id);
  }
});

Deno.test("newClusterId returns a different id each call", () => {
  const ids = new Set(Array.from({ length: 500 }, () => newClusterId()));
  assert.equal(ids.size, 500);
});

// ---------------------------------------------------------------- freePort

Deno.test("freePort returns a loopback port that can then be listened on", () => {
  const port = freePort();
  assert.ok(Number.isInteger(port) && port > 0 && port <= 65535, String(port));
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  try {
    assert.equal((listener.addr as Deno.NetAddr).port, port);
  } finally {
    listener.close();
  }
});

Deno.test("freePort does not hand out a port that is in use", () => {
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const heldPort = (held.addr as Deno.NetAddr).port;
    for (let i = 0; i < 20; i++) assert.notEqual(freePort(), heldPort);
  } finally {
    held.close();
  }
});

// ---------------------------------------------------------------- KAFKA_TOOLS and kafkaTool

Deno.test("KAFKA_TOOLS maps each kafka-* script name to a Java class", () => {
  const names = Object.keys(KAFKA_TOOLS);
  assert.ok(names.length >= 7);
  for (const [tool, cls] of Object.entries(KAFKA_TOOLS)) {
    assert.match(tool, /^kafka-[a-z-]+$/, tool);
    assert.match(cls, /^org\.apache\.kafka\.tools(\.[a-z]+)*\.[A-Z][A-Za-z]+$/, `${tool}: ${cls}`);
  }
  assert.equal(KAFKA_TOOLS["kafka-topics"], "org.apache.kafka.tools.TopicCommand");
  assert.equal(
    KAFKA_TOOLS["kafka-console-consumer"],
    "org.apache.kafka.tools.consumer.ConsoleConsumer",
  );
  assert.equal(
    KAFKA_TOOLS["kafka-producer-perf-test"],
    "org.apache.kafka.tools.ProducerPerformance",
  );
});

Deno.test("KAFKA_TOOLS names a distinct class for each tool", () => {
  const classes = Object.values(KAFKA_TOOLS);
  assert.equal(new Set(classes).size, classes.length);
});

/**
 * Runs `fn` with `Deno.Command` replaced by a recorder, so the command
 * `kafkaTool` builds can be inspected without running anything.
 */
function recordCommands(fn: () => unknown): { cmd: string; options: Deno.CommandOptions }[] {
  const built: { cmd: string; options: Deno.CommandOptions }[] = [];
  const original = Object.getOwnPropertyDescriptor(Deno, "Command")!;
  class FakeCommand {
    constructor(cmd: string | URL, options: Deno.CommandOptions = {}) {
      built.push({ cmd: String(cmd), options });
    }
  }
  Object.defineProperty(Deno, "Command", { value: FakeCommand, configurable: true });
  try {
    fn();
  } finally {
    Object.defineProperty(Deno, "Command", original);
  }
  return built;
}

const INSTALL: KafkaInstall = {
  version: "9.9.9",
  libsDir: "/cache/kafka/9.9.9/libs",
  classpath: "/cache/kafka/9.9.9/libs/*",
};

Deno.test("kafkaTool builds `java ... -cp <classpath> <class> <args>`", () => {
  const args = ["--bootstrap-server", "127.0.0.1:9092", "--list"];
  const [built, ...more] = recordCommands(() => kafkaTool(INSTALL, "kafka-topics", args));
  assert.equal(more.length, 0);
  assert.equal(built.cmd, "java");
  const argv = built.options.args as string[];
  const cp = argv.indexOf("-cp");
  assert.ok(cp >= 0, argv.join(" "));
  assert.equal(argv[cp + 1], "/cache/kafka/9.9.9/libs/*");
  assert.equal(argv[cp + 2], "org.apache.kafka.tools.TopicCommand");
  assert.deepEqual(argv.slice(cp + 3), args);
  // JVM options come before the class, never after it.
  for (const opt of argv.slice(0, cp)) assert.match(opt, /^-/, opt);
  assert.ok(argv.includes("-Xmx256m"));
});

Deno.test("kafkaTool runs the class of each tool", () => {
  for (const tool of Object.keys(KAFKA_TOOLS) as KafkaToolName[]) {
    const [built] = recordCommands(() => kafkaTool(INSTALL, tool, ["--help"]));
    const argv = built.options.args as string[];
    assert.deepEqual(argv.slice(-2), [KAFKA_TOOLS[tool], "--help"], tool);
  }
});

Deno.test("kafkaTool passes the command options through, args excepted", () => {
  const [built] = recordCommands(() =>
    kafkaTool(INSTALL, "kafka-console-consumer", ["--topic", "t"], {
      stdout: "piped",
      stderr: "null",
      env: { A: "1" },
      cwd: "/tmp",
    })
  );
  assert.equal(built.options.stdout, "piped");
  assert.equal(built.options.stderr, "null");
  assert.deepEqual(built.options.env, { A: "1" });
  assert.equal(built.options.cwd, "/tmp");
  assert.deepEqual((built.options.args as string[]).slice(-2), ["--topic", "t"]);
});

Deno.test("kafkaTool returns a real, unstarted Deno.Command", () => {
  const cmd = kafkaTool(INSTALL, "kafka-topics", ["--list"]);
  assert.ok(cmd instanceof Deno.Command);
});

// ---------------------------------------------------------------- LocalKafkaError

Deno.test("LocalKafkaError names its log file in the message", () => {
  const withLog = new LocalKafkaError("broker exited", "/runs/x/broker.log");
  assert.equal(withLog.name, "LocalKafkaError");
  assert.equal(withLog.message, "broker exited (log: /runs/x/broker.log)");
  assert.equal(withLog.logFile, "/runs/x/broker.log");
  const without = new LocalKafkaError("no java");
  assert.equal(without.message, "no java");
  assert.equal(without.logFile, undefined);
});

// ---------------------------------------------------------------- clusters

const THREE: BrokerLayout[] = [1, 2, 3].map((id) => ({
  nodeId: id,
  port: 41000 + id,
  controllerPort: 42000 + id,
  internalPort: 43000 + id,
  dataDir: `/tmp/k/node-${id}`,
}));

Deno.test("brokerProperties, three nodes: every node a voter, replication 3, ISR 2, no unclean leader", () => {
  const p = parseProperties(brokerProperties(THREE[1], { voters: THREE }));
  assertProperties(p, {
    "node.id": "2",
    "controller.quorum.voters": "1@127.0.0.1:42001,2@127.0.0.1:42002,3@127.0.0.1:42003",
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "unclean.leader.election.enable": "false",
  });
});

Deno.test("replicationFor: 3 and ISR 2 from three nodes on, fewer on fewer", () => {
  assert.deepEqual(replicationFor(1), { replicationFactor: 1, minInsync: 1 });
  assert.deepEqual(replicationFor(2), { replicationFactor: 2, minInsync: 2 });
  assert.deepEqual(replicationFor(5), { replicationFactor: 3, minInsync: 2 });
});

Deno.test("brokerProperties, secured: SASL_SSL SCRAM-SHA-512 for clients, mutual TLS inside, ACLs enforced", () => {
  const security = {
    keystoreFile: "/pki/kafka-broker.bundle.pem",
    truststoreFile: "/pki/ca.pem",
    superUsers: ["User:admin", "User:kafka-broker"],
  };
  const p = parseProperties(brokerProperties(THREE[0], { voters: THREE, security }));
  assertProperties(p, {
    "listeners": "CLIENT://127.0.0.1:41001,INTERNAL://127.0.0.1:43001,CONTROLLER://127.0.0.1:42001",
    "listener.security.protocol.map": "CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL",
    "sasl.enabled.mechanisms": "SCRAM-SHA-512",
    "inter.broker.listener.name": "INTERNAL",
    "listener.name.internal.ssl.client.auth": "required",
    "listener.name.controller.ssl.client.auth": "required",
    "listener.name.client.ssl.client.auth": "none",
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": "User:admin;User:kafka-broker",
    "allow.everyone.if.no.acl.found": "false",
    "ssl.keystore.type": "PEM",
  });
  const mtls = parseProperties(
    brokerProperties(THREE[0], { voters: THREE, security: { ...security, mutualTls: true } }),
  );
  assert.equal(mtls.get("listener.name.client.ssl.client.auth"), "required");
});

// ---------------------------------------------------------------- preparing a cluster

/** A port picker handing out 50001, 50002, … in order. */
function countingPorts(): () => number {
  let next = 50_000;
  return () => ++next;
}

Deno.test("nodeLayouts: ids from 1, a client and a controller port each, data below the run folder", () => {
  const layouts = nodeLayouts(2, "/runs/r", { secured: false }, countingPorts());
  assert.deepEqual(layouts, [
    {
      nodeId: 1,
      port: 50001,
      controllerPort: 50002,
      internalPort: undefined,
      dataDir: "/runs/r/node-1/data",
    },
    {
      nodeId: 2,
      port: 50003,
      controllerPort: 50004,
      internalPort: undefined,
      dataDir: "/runs/r/node-2/data",
    },
  ]);
});

Deno.test("nodeLayouts: a secured cluster gets an internal port; the given first port is the first node's", () => {
  const [first, second] = nodeLayouts(
    2,
    "/runs/r",
    { firstPort: 9092, secured: true },
    countingPorts(),
  );
  assert.deepEqual([first.port, first.controllerPort, first.internalPort], [9092, 50001, 50002]);
  assert.deepEqual([second.port, second.controllerPort, second.internalPort], [
    50003,
    50004,
    50005,
  ]);
});

Deno.test("nodeLayouts picks free loopback ports by default, none twice", () => {
  const ports = nodeLayouts(3, "/runs/r", { secured: true })
    .flatMap((l) => [l.port, l.controllerPort, l.internalPort!]);
  assert.equal(ports.length, 9);
  for (const port of ports) assert.ok(Number.isInteger(port) && port > 0, String(port));
});

Deno.test("bootstrapOf lists every node's loopback client address", () => {
  const layouts = nodeLayouts(2, "/r", { firstPort: 9092, secured: false }, countingPorts());
  assert.equal(bootstrapOf(layouts), "127.0.0.1:9092,127.0.0.1:50002");
});

Deno.test("validNodeCount: 1 by default, 1 to 9 accepted, anything else said in one sentence", () => {
  assert.equal(validNodeCount(), 1);
  assert.equal(validNodeCount(1), 1);
  assert.equal(validNodeCount(9), 9);
  for (const bad of [0, 10, 2.5, -1, NaN]) {
    assert.throws(
      () => validNodeCount(bad),
      (err: Error) =>
        err instanceof LocalKafkaError &&
        err.message === `--nodes must be a whole number from 1 to 9, got ${bad}`,
    );
  }
});

Deno.test("clusterStartTimeoutMs: 90 seconds for one node, 30 more for each further node", () => {
  assert.equal(clusterStartTimeoutMs(1), 90_000);
  assert.equal(clusterStartTimeoutMs(3), 150_000);
});
