/**
 * Runs the pipeline's scripts as separate processes, each under the narrow
 * permissions scripts/services.ts declares, with its output in a log file,
 * and stops them by pid: SIGTERM first (each finishes its transaction and
 * closes its clients), SIGKILL after a grace period.
 *
 * With `restartOnCrash`, a process that dies without being stopped (killed
 * with SIGKILL, or exiting with a non-zero code) is started again with the
 * same command after a short delay, appending to the same log; a script
 * that keeps failing (more than `maxRestartsPerMinute` restarts in a
 * minute) is left down, and the supervisor says so in one line.
 *
 * @example
 * ```ts
 * import { startProcess } from "./supervisor.ts";
 * // const p = await startProcess({
 * //   entry: "scripts/order_gateway.ts",
 * //   args: ["--brokers", b],
 * //   logDir: "/tmp",
 * //   restartOnCrash: true,
 * // });
 * // Deno.kill(p.pid, "SIGKILL"); // back in a second, p.pid is the new pid, p.restarts 1
 * // await p.stop(); // for good
 * ```
 * @module
 */
import { mayRestart } from "./restart_cap.ts";
import { join } from "node:path";
import { scriptByEntry } from "../../scripts/services.ts";
import { createLogger, type Logger } from "../platform/log.ts";

/** A script running as its own process. */
export interface SupervisedProcess {
  readonly name: string;
  /** The current process's pid: a new one after each restart. */
  readonly pid: number;
  readonly logFile: string;
  /** How many times it was started again after a crash. */
  readonly restarts: number;
  /**
   * Resolves when the process has exited for good, however it ended: at
   * once without `restartOnCrash`; with it, once stopped, once it exited
   * with code 0 by itself, or once it was given up on after too many restarts.
   */
  readonly exited: Promise<Deno.CommandStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`; no restart after it; resolves with the exit status. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** How a crashed process is brought back. */
export interface RestartPolicy {
  /** Wait before starting it again; 1 s by default. */
  delayMs?: number;
  /** At most this many restarts within any minute, then it stays down; 5 by default. */
  maxRestartsPerMinute?: number;
}

const DEFAULT_RESTART_DELAY_MS = 1_000;
const DEFAULT_MAX_RESTARTS_PER_MINUTE = 5;

/** Whether an exit calls for a restart: a signal or a non-zero code (a clean exit is left alone). Pure. */
export function isCrash(status: Deno.CommandStatus): boolean {
  return !status.success || status.signal !== null;
}

/** Starts `entry` with `args`; stdout and stderr go to `<logDir>/<name>.log`. */
export async function startProcess(options: {
  entry: string;
  args: string[];
  logDir: string;
  env?: Record<string, string>;
  /** Start it again when it dies without being stopped (off by default). */
  restartOnCrash?: boolean | RestartPolicy;
  /** Called after each restart, with the new pid in place (the demo rewrites its manifest). */
  onRestart?: (process: SupervisedProcess) => void;
  /** Where the supervisor says it restarted or gave up; stderr by default. */
  log?: Logger;
}): Promise<SupervisedProcess> {
  const script = scriptByEntry(options.entry);
  if (!script) throw new Error(`${options.entry} is not in scripts/services.ts`);
  await Deno.mkdir(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${script.name}.log`);
  const policy = options.restartOnCrash === true ? {} : options.restartOnCrash || undefined;
  const log = options.log ?? createLogger({ name: "supervisor" });

  /** One run of the command; the first truncates the log, a restart appends to it. */
  const spawnOnce = async (append: boolean) => {
    const file = await Deno.open(logFile, {
      create: true,
      write: true,
      truncate: !append,
      append,
    });
    const child = new Deno.Command(denoCommand(), {
      args: ["run", ...script.permissions, options.entry, ...options.args],
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Both streams into one file; the file closes when both have ended.
    const pump = (stream: ReadableStream<Uint8Array>) =>
      stream.pipeTo(new WritableStream({ write: (chunk) => void file.writeSync(chunk) }));
    const drained = Promise.allSettled([pump(child.stdout), pump(child.stderr)]).then(() =>
      file.close()
    );
    const status = child.status.then(async (status) => {
      await drained;
      return status;
    });
    return { child, status };
  };

  let current = await spawnOnce(false);
  let stopped = false;
  let restarts = 0;
  const restartTimes: number[] = [];
  let pending: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;

  const handle: SupervisedProcess = {
    name: script.name,
    get pid() {
      return current.child.pid;
    },
    logFile,
    get restarts() {
      return restarts;
    },
    get exited() {
      return exited;
    },
    stop(graceMs = 20_000) {
      stopping ??= (async () => {
        stopped = true;
        // Stopped while waiting to restart: nothing runs, nothing will.
        if (pending) {
          clearTimeout(pending.timer);
          pending.wake();
        }
        kill("SIGTERM");
        const timer = setTimeout(() => kill("SIGKILL"), graceMs);
        const status = await exited;
        clearTimeout(timer);
        return status;
      })();
      return stopping;
    },
  };
  let stopping: Promise<Deno.CommandStatus> | undefined;
  const kill = (signal: Deno.Signal) => {
    try {
      current.child.kill(signal);
    } catch { /* already exited */ }
  };

  /** Runs, restarting after crashes while the policy allows; resolves with the last status. */
  const supervise = async (): Promise<Deno.CommandStatus> => {
    while (true) {
      const status = await current.status;
      if (stopped || !policy || !isCrash(status)) return status;
      const now = Date.now();
      const max = policy.maxRestartsPerMinute ?? DEFAULT_MAX_RESTARTS_PER_MINUTE;
      if (!mayRestart(restartTimes, now, max)) {
        log.error("a script keeps crashing; left down", {
          process: script.name,
          restarts,
          withinMinute: max,
          code: status.code,
          signal: status.signal,
          log: logFile,
        });
        return status;
      }
      const delayMs = policy.delayMs ?? DEFAULT_RESTART_DELAY_MS;
      log.warn("a script exited unexpectedly; restarting it", {
        process: script.name,
        pid: current.child.pid,
        code: status.code,
        signal: status.signal,
        restartingInMs: delayMs,
      });
      await new Promise<void>((wake) => {
        pending = { timer: setTimeout(wake, delayMs), wake };
      });
      pending = undefined;
      if (stopped) return status;
      restartTimes.push(Date.now());
      current = await spawnOnce(true);
      restarts++;
      // stop() came while it was being spawned: it saw the old process.
      if (stopped) kill("SIGTERM");
      log.info("restarted", { process: script.name, pid: current.child.pid, restarts });
      options.onRestart?.(handle);
    }
  };
  const exited = supervise();
  return handle;
}

/**
 * The deno to run scripts with: this process's own binary when allowed,
 * else `deno` from PATH (`--allow-run=deno` names the one on PATH, which
 * may be a symlink to the binary this process runs from).
 */
function denoCommand(): string {
  const own = Deno.execPath();
  return Deno.permissions.querySync({ name: "run", command: own }).state === "granted"
    ? own
    : "deno";
}

/** Reads one counter's total (summed over its matching series) from a /metrics URL. */
export async function scrapeCounter(
  url: string,
  name: string,
  /** Only series with these label values, e.g. `{ status: "reserved" }`. */
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  try {
    const res = await fetch(url);
    const text = await res.text();
    let total: number | undefined;
    for (const line of text.split("\n")) {
      if (!wanted.every((w) => line.includes(w))) continue;
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        total = (total ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
      }
    }
    return total;
  } catch {
    return undefined;
  }
}
