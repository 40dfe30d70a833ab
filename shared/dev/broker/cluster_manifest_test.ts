import assert from "node:assert/strict";
import { clusterManifest } from "./cluster_manifest.ts";
import type { LocalNode } from "./local_kafka.ts";

const NODES: LocalNode[] = [1, 2].map((id) => ({
  id,
  address: `127.0.0.1:4100${id}`,
  pid: 100 + id,
  logFile: `/run/node-${id}/broker.log`,
  running: id === 1,
}));

Deno.test("clusterManifest: bootstrap and each node's address, pid, log and state", () => {
  assert.deepEqual(clusterManifest("127.0.0.1:41001,127.0.0.1:41002", NODES), {
    bootstrap: "127.0.0.1:41001,127.0.0.1:41002",
    nodes: [
      {
        id: 1,
        address: "127.0.0.1:41001",
        pid: 101,
        logFile: "/run/node-1/broker.log",
        running: true,
      },
      {
        id: 2,
        address: "127.0.0.1:41002",
        pid: 102,
        logFile: "/run/node-2/broker.log",
        running: false,
      },
    ],
    caFile: undefined,
    credentialsFile: undefined,
    adminPropertiesFile: undefined,
  });
});

Deno.test("clusterManifest names a secured cluster's CA, credentials and admin properties", () => {
  const manifest = clusterManifest("b", NODES, {
    caFile: "/sec/ca.pem",
    credentialsFile: "/sec/credentials.json",
    adminPropertiesFile: "/sec/admin.properties",
  });
  assert.equal(manifest.caFile, "/sec/ca.pem");
  assert.equal(manifest.credentialsFile, "/sec/credentials.json");
  assert.equal(manifest.adminPropertiesFile, "/sec/admin.properties");
});

Deno.test("clusterManifest copies a live node's pid and state as they are at the call", () => {
  let pid = 1;
  const live: LocalNode = {
    id: 1,
    address: "a",
    logFile: "l",
    get pid() {
      return pid;
    },
    get running() {
      return pid !== 0;
    },
  };
  const before = clusterManifest("a", [live]);
  pid = 0;
  assert.deepEqual(before.nodes[0], { id: 1, address: "a", pid: 1, logFile: "l", running: true });
  assert.deepEqual(clusterManifest("a", [live]).nodes[0].running, false);
});
