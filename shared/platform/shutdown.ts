/**
 * Graceful shutdown: SIGINT or SIGTERM aborts one AbortSignal that a
 * script's loops watch, so they can finish or abort the open transaction
 * and close their clients. A second signal exits at once, for the impatient.
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
  /** Removes the signal listeners. */
  dispose(): void;
}

const SIGNALS: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];

/** Turns SIGINT/SIGTERM into an AbortSignal; see the module example. */
export function shutdownSignal(log?: Logger, forceExitCode = 130): Shutdown {
  const controller = new AbortController();
  const handlers = SIGNALS.map((sig) => {
    const handler = () => {
      if (controller.signal.aborted) {
        log?.warn("second signal, exiting now", { signal: sig });
        Deno.exit(forceExitCode);
      }
      log?.info("shutting down", { signal: sig });
      controller.abort(sig);
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  return {
    signal: controller.signal,
    dispose() {
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
