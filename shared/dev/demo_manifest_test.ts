import assert from "node:assert/strict";
import { join } from "node:path";
import {
  demoManifest,
  demoManifestWriter,
  type DemoProcess,
  type DemoRunInfo,
  readDemoManifest,
} from "./demo_manifest.ts";
import { silentLogger } from "../platform/log.ts";

const RUN: DemoRunInfo = {
  version: 1,
  demoPid: 4242,
  brokers: "127.0.0.1:9092",
  registryUrl: "http://127.0.0.1:8081",
  databaseUrl: "sqlite:/tmp/store.sqlite",
  secure: false,
};

Deno.test("a manifest version lists each process as it is, stamped with its time", () => {
  const gateway = { name: "order_gateway", pid: 4301, restarts: 1, logFile: "/l/g.log", extra: 1 };
  const manifest = demoManifest(RUN, "running", [gateway], new Date(Date.UTC(2026, 11, 1)));
  assert.equal(manifest.state, "running");
  assert.equal(manifest.updatedAt, "2026-12-01T00:00:00.000Z");
  assert.deepEqual(manifest.processes, [
    { name: "order_gateway", pid: 4301, restarts: 1, logFile: "/l/g.log" },
  ]);
  assert.equal(manifest.brokers, RUN.brokers);
});

Deno.test("the writer writes nothing before the run begins, then each state in turn", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "demo", "run.json");
    const processes: DemoProcess[] = [];
    const writer = demoManifestWriter(path, processes, silentLogger);
    await writer.write("running");
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound, "not begun: nothing written");
    writer.begin(RUN);
    processes.push({ name: "order_generator", pid: 7, restarts: 0, logFile: "/l/o.log" });
    writer.write("running");
    await writer.write("stopped");
    const read = await readDemoManifest(path);
    assert.equal(read.state, "stopped", "the last write wins, in order");
    assert.deepEqual(read.processes.map((p) => p.pid), [7]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
