/**
 * Graceful shutdown: SIGINT or SIGTERM aborts one AbortSignal that a
 * script's loops watch, so they can finish or abort the open transaction
 * and close their clients. A second signal exits at once, for the impatient.
 * A shutdown that has not finished after its grace period (a client whose
 * close never returns, say) exits too, with code 1 and one line saying so:
 * a stopped script ends, whatever its clients do, as a container runtime
 * would make it after its own grace period, but with the reason in the log.
 *
 * @example
 * ```ts
 * import { shutdownSignal } from "./shutdown.ts";
 * const { signal, dispose } = shutdownSignal();
 * while (!signal.aborted) { await new Promise((r) => setTimeout(r, 100)); }
 * dispose();
 * ```
 * @module
 */
import type { Logger } from "./log.ts";

export interface Shutdown {
  /** Aborted on the first SIGINT/SIGTERM, with the signal's name as reason. */
  readonly signal: AbortSignal;
  /** Removes the signal listeners (not the grace period's deadline). */
  dispose(): void;
}

const SIGNALS: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];

/**
 * How long a script may take to stop after the first signal. Longer than a
 * transaction (10 s) takes to abort or commit and a client to close; shorter
 * than Kubernetes' default grace period (30 s), so the script's own line is
 * what the log shows.
 */
export const SHUTDOWN_GRACE_MS = 25_000;

export interface ShutdownOptions {
  /** The exit code of a second signal; 130 as a shell's Ctrl-C. */
  forceExitCode?: number;
  /** See {@linkcode SHUTDOWN_GRACE_MS}. */
  graceMs?: number;
}

/** Turns SIGINT/SIGTERM into an AbortSignal; see the module example. */
export function shutdownSignal(log?: Logger, options: ShutdownOptions = {}): Shutdown {
  const { forceExitCode = 130, graceMs = SHUTDOWN_GRACE_MS } = options;
  const controller = new AbortController();
  const handlers = SIGNALS.map((sig) => {
    const handler = () => {
      if (controller.signal.aborted) {
        log?.warn("second signal, exiting now", { signal: sig });
        Deno.exit(forceExitCode);
      }
      log?.info("shutting down", { signal: sig });
      const deadline = setTimeout(() => {
        const line = `shutdown did not finish within ${graceMs / 1000} s; exiting`;
        if (log) log.error(line, { signal: sig });
        else console.error(line);
        Deno.exit(1);
      }, graceMs);
      // The deadline alone never keeps a script alive that has finished.
      Deno.unrefTimer(deadline);
      controller.abort(sig);
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  return {
    signal: controller.signal,
    dispose() {
      // The deadline stays: a script whose clients keep it alive past this
      // point still ends.
      for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
    },
  };
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Resolves once `signal` aborts (at once when it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}
