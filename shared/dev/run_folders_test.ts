import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../platform/log.ts";
import { ageMs, exists, isAlive, readPid, runsIn, sweepOrphans, tail } from "./run_folders.ts";

const log = createLogger({ name: "run-folders-test", level: "error" });

Deno.test("a pid file's first line is its pid; anything else is none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.pid"), "1234\n/data\n");
    await Deno.writeTextFile(join(dir, "b.pid"), "not a pid\n");
    assert.equal(readPid(join(dir, "a.pid")), 1234);
    assert.equal(readPid(join(dir, "b.pid")), undefined);
    assert.equal(readPid(join(dir, "missing.pid")), undefined);
    assert.equal(await exists(join(dir, "a.pid")), true);
    assert.equal(await exists(join(dir, "missing.pid")), false);
    assert.ok(ageMs(join(dir, "a.pid")) < 60_000);
    assert.equal(ageMs(join(dir, "missing.pid")), Infinity);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("this process is alive and runs in its own command line; a dead pid is neither", () => {
  assert.equal(isAlive(Deno.pid), true);
  assert.equal(runsIn(Deno.pid, "deno"), true);
  assert.equal(runsIn(Deno.pid, "/no/such/run/folder"), false);
  assert.equal(isAlive(2 ** 22 + 7), false);
});

Deno.test("the sweep removes folders of dead owners only, and stops what they left", async () => {
  const runs = await Deno.makeTempDir();
  try {
    const dead = join(runs, "dead");
    const live = join(runs, "live");
    const starting = join(runs, "starting");
    for (const dir of [dead, live, starting]) await Deno.mkdir(dir);
    await Deno.writeTextFile(join(dead, "owner.pid"), `${2 ** 22 + 7}\n`);
    await Deno.writeTextFile(join(live, "owner.pid"), `${Deno.pid}\n`);
    const stopped: string[] = [];
    await sweepOrphans(runs, log, {
      mayBeInUse: (dir) => dir === starting,
      stopLeftovers: (dir) => {
        stopped.push(dir);
        return Promise.resolve();
      },
    });
    assert.deepEqual(stopped, [dead]);
    assert.equal(await exists(dead), false);
    assert.equal(await exists(live), true);
    assert.equal(await exists(starting), true);
  } finally {
    await Deno.remove(runs, { recursive: true });
  }
});

Deno.test("tail: the last lines of a file, empty for a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "broker.log");
    assert.equal(await tail(file), "");
    await Deno.writeTextFile(file, "a\nb\nc\n\n");
    assert.equal(await tail(file, 2), "b\nc");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
