/**
 * The waiting helpers of ./harness.ts and ./pipeline.ts end every wait at its
 * deadline, whatever they wait on. No broker needed.
 */
import assert from "node:assert/strict";
import { waitFor } from "./harness.ts";
import { exited, type ScriptProcess } from "./pipeline.ts";

Deno.test("waitFor gives up at its deadline even when a check never returns", async () => {
  const started = performance.now();
  await assert.rejects(
    waitFor("a reply nobody sends", () => new Promise<boolean>(() => {}), { timeoutMs: 300 }),
    /timed out after 300 ms waiting for a reply nobody sends: its last check had not returned/,
  );
  const ms = performance.now() - started;
  assert.ok(ms >= 250 && ms < 10_000, `gave up after ${ms.toFixed(0)} ms`);
});

Deno.test("waitFor returns the first truthy value and keeps the last error for its message", async () => {
  let calls = 0;
  assert.equal(await waitFor("the third call", () => ++calls >= 3 && calls, { intervalMs: 1 }), 3);
  await assert.rejects(
    waitFor("nothing", () => {
      throw new Error("not yet");
    }, { timeoutMs: 50, intervalMs: 5 }),
    /waiting for nothing: Error: not yet/,
  );
});

Deno.test("exited: a process that ignores SIGTERM is SIGKILLed at the deadline, and the test fails", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", 'trap "" TERM; echo ignoring; exec sleep 60'],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // Once it speaks, the trap is set.
  const reader = child.stdout.getReader();
  await reader.read();
  await reader.cancel();
  const proc: ScriptProcess = {
    pid: child.pid,
    status: child.status,
    output: () => "ignoring SIGTERM",
    kill: (signal) => child.kill(signal),
  };
  proc.kill("SIGTERM");
  await assert.rejects(exited(proc, 300), /had not exited 0\.3 s after it was told to stop/);
  assert.equal((await child.status).signal, "SIGKILL");
});
