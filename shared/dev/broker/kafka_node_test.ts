import assert from "node:assert/strict";
import { join } from "node:path";
import { liveNode, newNode, nodeJavaArgs, startCount } from "./kafka_node.ts";
import type { BrokerLayout } from "./local_kafka.ts";

const LAYOUT: BrokerLayout = {
  nodeId: 2,
  port: 41002,
  controllerPort: 42002,
  dataDir: "/run/node-2/data",
};
const JVM = {
  install: { version: "9.9.9", libsDir: "/cache/libs", classpath: "/cache/libs/*" },
  heapMb: 384,
  runDir: "/run",
};

Deno.test("newNode: its server.properties and broker.log in its folder, not yet started", () => {
  const node = newNode(LAYOUT, "/run/node-2");
  assert.deepEqual(node, {
    layout: LAYOUT,
    dir: "/run/node-2",
    propsFile: "/run/node-2/server.properties",
    logFile: "/run/node-2/broker.log",
    expectExit: false,
    crashes: [],
  });
});

Deno.test("nodeJavaArgs: the heap, the node's log4j2 config and logs dir, then kafka.Kafka on its properties", () => {
  const args = nodeJavaArgs(newNode(LAYOUT, "/run/node-2"), JVM);
  assert.deepEqual(args, [
    "java",
    "-Xmx384m",
    "-Xms64m",
    "-XX:+UseSerialGC",
    "-Dlog4j2.configurationFile=/run/node-2/log4j2.yaml",
    "-Dkafka.logs.dir=/run/node-2",
    "-cp",
    "/cache/libs/*",
    "kafka.Kafka",
    "/run/node-2/server.properties",
  ]);
});

Deno.test("liveNode: address from the layout; pid and running read from the process when asked", () => {
  const node = newNode(LAYOUT, "/run/node-2");
  const view = liveNode(node);
  assert.equal(view.id, 2);
  assert.equal(view.address, "127.0.0.1:41002");
  assert.equal(view.logFile, "/run/node-2/broker.log");
  assert.deepEqual([view.pid, view.running], [0, false]);
  node.child = { pid: 4242 } as Deno.ChildProcess;
  assert.deepEqual([view.pid, view.running], [4242, true]);
  node.exited = { success: false, code: 137, signal: "SIGKILL" };
  assert.deepEqual([view.pid, view.running], [4242, false]);
});

Deno.test("startCount counts the node's start lines; a missing log is zero starts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = join(dir, "broker.log");
    assert.equal(startCount(log), 0);
    await Deno.writeTextFile(
      log,
      "[x] INFO starting\n[y] INFO [KafkaRaftServer nodeId=1] Kafka Server started\n",
    );
    assert.equal(startCount(log), 1);
    await Deno.writeTextFile(log, "[z] INFO Kafka Server started\n", { append: true });
    assert.equal(startCount(log), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
