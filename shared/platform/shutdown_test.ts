import assert from "node:assert/strict";
import { sleep, untilAborted } from "./shutdown.ts";

Deno.test("sleep resolves after the given time", async () => {
  const started = performance.now();
  await sleep(60);
  const ms = performance.now() - started;
  // Timers may fire a hair early on some clocks; never much.
  assert.ok(ms >= 55, `resolved after ${ms.toFixed(1)} ms`);
});

Deno.test("sleep resolves to undefined", async () => {
  assert.equal(await sleep(1), undefined);
});

Deno.test("sleep(0) resolves on the next timer turn", async () => {
  let done = false;
  const p = sleep(0).then(() => (done = true));
  assert.equal(done, false);
  await p;
  assert.equal(done, true);
});

Deno.test("sleep with a signal that does not abort still waits the full time", async () => {
  const controller = new AbortController();
  const started = performance.now();
  await sleep(50, controller.signal);
  assert.ok(performance.now() - started >= 45);
});

// The op sanitizer (off by default in Deno 2) fails a test that leaves a
// timer running: turned on, it proves an aborted sleep clears its timer.
const clearsTimers = { sanitizeOps: true };

Deno.test({
  name: "sleep resolves early, without throwing, when the signal aborts",
  ...clearsTimers,
  async fn() {
    const controller = new AbortController();
    const started = performance.now();
    const p = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort("SIGTERM"), 20);
    await p; // must resolve, not reject
    const ms = performance.now() - started;
    assert.ok(ms < 1_000, `resolved after ${ms.toFixed(1)} ms`);
  },
});

Deno.test("sleep resolves at once when the signal is already aborted", clearsTimers, async () => {
  const controller = new AbortController();
  controller.abort();
  const started = performance.now();
  await sleep(10_000, controller.signal);
  assert.ok(performance.now() - started < 100);
});

Deno.test("sleep on an already aborted signal resolves before a zero timer", async () => {
  const order: string[] = [];
  const timer = new Promise<void>((r) => setTimeout(() => r(void order.push("timer")), 0));
  await sleep(10_000, AbortSignal.abort()).then(() => order.push("sleep"));
  await timer;
  assert.deepEqual(order, ["sleep", "timer"]);
});

Deno.test({
  name: "one abort ends every sleep watching the signal",
  ...clearsTimers,
  async fn() {
    const controller = new AbortController();
    const sleeps = [sleep(10_000, controller.signal), sleep(20_000, controller.signal)];
    controller.abort();
    await Promise.all(sleeps);
  },
});

Deno.test("sleep removes its abort listener when the time runs out", async () => {
  const controller = new AbortController();
  const signal = controller.signal;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners++;
    add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  }) as typeof signal.removeEventListener;
  await sleep(5, signal);
  await sleep(5, signal);
  assert.equal(listeners, 0);
});

Deno.test("untilAborted resolves on the abort, and at once after it", async () => {
  const controller = new AbortController();
  let done = false;
  const waiting = untilAborted(controller.signal).then(() => (done = true));
  await Promise.resolve();
  assert.equal(done, false);
  controller.abort();
  await waiting;
  assert.equal(done, true);
  await untilAborted(controller.signal);
});

/**
 * Runs a script that sets up `shutdownSignal` with `graceMs`, says "ready",
 * and after the signal either returns or keeps a timer running forever (a
 * client whose close never returns); SIGTERMs it once ready.
 */
async function stopScript(graceMs: number, hangs: boolean) {
  const code = `
    import { shutdownSignal } from ${JSON.stringify(import.meta.resolve("./shutdown.ts"))};
    const shutdown = shutdownSignal(undefined, { graceMs: ${graceMs} });
    console.log("ready");
    await new Promise((r) => shutdown.signal.addEventListener("abort", r));
    shutdown.dispose();
    if (${hangs}) setInterval(() => {}, 1000);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const started = performance.now();
  child.kill("SIGTERM");
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
    reader.cancel(),
  ]);
  return { code: status.code, stderr, ms: performance.now() - started };
}

Deno.test("a shutdown that never finishes exits 1 after its grace period, saying so", async () => {
  const { code, stderr, ms } = await stopScript(300, true);
  assert.equal(code, 1);
  assert.match(stderr, /shutdown did not finish within 0\.3 s; exiting/);
  assert.ok(ms >= 250, `exited after ${ms.toFixed(0)} ms`);
});

Deno.test("the grace period's deadline never keeps a finished script alive", async () => {
  // Generous against a slow machine, far below the 60 s grace period.
  const { code, stderr, ms } = await stopScript(60_000, false);
  assert.equal(code, 0, stderr);
  assert.ok(ms < 20_000, `exited after ${ms.toFixed(0)} ms`);
});
