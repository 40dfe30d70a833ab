/**
 * The live view in a terminal: the aggregator's headline figures (uptime,
 * orders per minute, totals, average price, per-type figures, status
 * counts, retries and dead letters, top and most viewed products,
 * conversion) and the state of the connection, redrawn in place every
 * second from `GET /stats/stream` until Ctrl-C, which restores the
 * terminal. It reconnects by itself when the aggregator restarts.
 *
 *   deno task terminal-dashboard
 *   deno task terminal-dashboard --once            # one frame, for pipes
 *   deno task terminal-dashboard --stats-url http://aggregator:8083
 *
 * With `--once` it prints one frame of `GET /stats` and exits: 0 with a
 * snapshot, 1 when the aggregator has none or cannot be reached. When
 * stdout is not a terminal it prints a frame per update, without escapes.
 * @module
 */
import { createLogger } from "../shared/platform/log.ts";
import { shutdownSignal } from "../shared/platform/shutdown.ts";
import type { StatsSnapshot } from "../shared/aggregate/snapshot.ts";
import { type ConnectionState, renderFrame } from "../shared/terminal_dashboard/render.ts";
import { ENTER_SCREEN, LEAVE_SCREEN, paintFrame } from "../shared/terminal_dashboard/screen.ts";
import { fetchSnapshot, watchStats } from "../shared/terminal_dashboard/stats_stream.ts";
import { terminalDashboardConfig } from "../shared/terminal_dashboard/config.ts";

const encoder = new TextEncoder();

/** Writes all of `text` to stdout (a terminal may take it in parts). */
function write(text: string): void {
  const bytes = encoder.encode(text);
  for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
}

/** The terminal's size, or a default when stdout is not one. */
function screenSize(widthFlag: number): { columns: number; rows: number } {
  try {
    const size = Deno.consoleSize();
    return { columns: widthFlag || size.columns, rows: size.rows };
  } catch {
    return { columns: widthFlag || 100, rows: Infinity };
  }
}

async function main(): Promise<number> {
  const cfg = terminalDashboardConfig.load();
  const log = createLogger({ name: "terminal-dashboard", level: cfg.logLevel });
  const startedAt = Date.now();
  const tty = Deno.stdout.isTerminal();
  const color = tty && !Deno.noColor;
  let snapshot: StatsSnapshot | undefined;
  let connection: ConnectionState = { kind: "connecting" };
  const frame = () => {
    const { columns } = screenSize(cfg.width);
    return renderFrame(
      { snapshot, connection, source: cfg.statsUrl, now: Date.now(), startedAt },
      { width: columns, color: cfg.once ? false : color, listLength: cfg.top },
    );
  };

  if (cfg.once) {
    try {
      snapshot = await fetchSnapshot(cfg.statsUrl);
      connection = { kind: "live", lastEventAt: Date.now() };
    } catch (err) {
      connection = { kind: "offline", error: (err as Error).message };
    }
    write(frame().join("\n") + "\n");
    if (!snapshot) log.error("no snapshot", { statsUrl: cfg.statsUrl, reason: connection });
    return snapshot ? 0 : 1;
  }

  const shutdown = shutdownSignal();
  let restored = !tty;
  const restore = () => {
    if (!restored) write(LEAVE_SCREEN);
    restored = true;
  };
  // A second Ctrl-C exits at once (shutdown.ts); the screen is given back then too.
  globalThis.addEventListener("unload", restore);
  const redraw = tty
    ? () => write(paintFrame(frame(), screenSize(cfg.width).rows))
    : () => write(frame().join("\n") + "\n\n");
  const onResize = () => redraw();
  if (tty) {
    write(ENTER_SCREEN);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGWINCH", onResize);
  }
  // Ages and the stale badge move on even when nothing arrives; a pipe gets updates only.
  const ticker = tty ? setInterval(redraw, 1000) : undefined;
  try {
    redraw();
    await watchStats({
      statsUrl: cfg.statsUrl,
      signal: shutdown.signal,
      onSnapshot: (s) => snapshot = s,
      onState: (state) => {
        connection = state;
        redraw();
      },
    });
    return 0;
  } finally {
    clearInterval(ticker);
    if (tty && Deno.build.os !== "windows") Deno.removeSignalListener("SIGWINCH", onResize);
    restore();
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
