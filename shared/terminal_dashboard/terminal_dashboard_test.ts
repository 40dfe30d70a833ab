/**
 * scripts/terminal_dashboard.ts as a process, under the permission flags
 * scripts/services.ts gives it, against the aggregator's real HTTP face:
 * `--once` prints a frame (and fails without a snapshot); in a terminal
 * (a pseudo-terminal from util-linux `script`) it draws on the alternate
 * screen, redraws in place, and gives the terminal back on Ctrl-C.
 */
import assert from "node:assert/strict";
import { runScript, scriptCommand } from "../../tests/run_script.ts";
import { createStatsHandler } from "../aggregate/stats_http.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import { SAMPLE_SNAPSHOT } from "./sample_snapshot.ts";
import { ENTER_SCREEN, LEAVE_SCREEN } from "./screen.ts";
import { freePort } from "../dev/broker/local_kafka.ts";

const ENTRY = "scripts/terminal_dashboard.ts";
const ROOT = new URL("../../", import.meta.url);

function statsServer() {
  const closing = new AbortController();
  const handler = createStatsHandler({
    snapshot: () => SAMPLE_SNAPSHOT,
    metrics: new MetricsRegistry(),
    healthy: () => true,
    streamIntervalMs: 200,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => handler(new Request(req, { signal: AbortSignal.any([req.signal, closing.signal]) })),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => {
      closing.abort();
      return server.shutdown();
    },
  };
}

function command(args: string[]): string[] {
  return scriptCommand(ENTRY, args);
}

const run = (args: string[]) => runScript(ENTRY, args);

Deno.test("terminal dashboard --once prints one frame of the aggregator's snapshot", async () => {
  const stats = statsServer();
  try {
    const { code, stdout, stderr } = await run([
      "--once",
      "--stats-url",
      stats.url,
      "--width",
      "100",
    ]);
    assert.equal(code, 0, stderr);
    assert.ok(!stdout.includes("\x1b"), "no escapes in a pipe");
    assert.match(stdout, /ORDER PIPELINE · live view +● live\n/);
    assert.match(stdout, /Orders\/min +120 /);
    assert.match(stdout, /Value +81,234\.50 · average price 90\.26/);
    assert.match(stdout, /Dead letters +43 +validation 41 · unparseable 2/);
    assert.match(stdout, /Conversion +40\.0 %/);
    for (const line of stdout.trimEnd().split("\n")) assert.ok([...line].length <= 100, line);
  } finally {
    await stats.close();
  }
});

Deno.test("terminal dashboard --once without an aggregator says so and exits 1", async () => {
  // A loopback port nobody listens on.
  const port = freePort();
  const { code, stdout } = await run(["--once", "--stats-url", `http://127.0.0.1:${port}`]);
  assert.equal(code, 1);
  assert.match(stdout, /○ offline \(.*connection refused\)/);
});

Deno.test("terminal dashboard in a terminal: alternate screen, in-place frames, Ctrl-C restores", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const stats = statsServer();
  // `script` gives the dashboard a pseudo-terminal of its own; what the test writes to
  // script's stdin is typed into it, so \x03 is a real Ctrl-C through the line discipline.
  const shell = [Deno.execPath(), ...command(["--stats-url", stats.url])]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qfec", `stty cols 100 rows 40; exec env -u NO_COLOR ${shell}`, "/dev/null"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) text += decoder.decode(chunk, { stream: true });
  })();
  const writer = child.stdin.getWriter();
  try {
    const deadline = Date.now() + 60_000;
    // Two live frames at least: the second is drawn over the first.
    while ((text.match(/● live/g) ?? []).length < 2) {
      assert.ok(Date.now() < deadline, `no live frames:\n${text.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await writer.write(new TextEncoder().encode("\x03"));
    const status = await child.status;
    await reading;
    assert.equal(status.code, 0, text.slice(-2000));
    assert.ok(text.includes(ENTER_SCREEN), "enters the alternate screen");
    assert.ok(text.trimEnd().endsWith(LEAVE_SCREEN), "gives the terminal back last");
    assert.ok(!text.includes("\x1b[2J"), "never blanks the screen");
    assert.ok(text.includes("\x1b[32m● live"), "colour in a terminal");
    assert.match(text, /Top products/);
  } finally {
    await writer.close().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await stats.close();
  }
});
