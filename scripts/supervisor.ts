/**
 * Runs the pipeline's scripts as separate processes, each under the narrow
 * permissions scripts/catalog.ts declares, with its output in a log file,
 * and stops them by pid: SIGTERM first (each finishes its transaction and
 * closes its clients), SIGKILL after a grace period.
 *
 * @example
 * ```ts
 * import { startProcess } from "./supervisor.ts";
 * // const p = await startProcess({ entry: "scripts/order_gateway.ts", args: ["--brokers", b], logDir: "/tmp" });
 * // await p.stop();
 * ```
 * @module
 */
import { join } from "node:path";
import { scriptByEntry } from "./catalog.ts";

/** A script running as its own process. */
export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** Starts `entry` with `args`; stdout and stderr go to `<logDir>/<name>.log`. */
export async function startProcess(options: {
  entry: string;
  args: string[];
  logDir: string;
  env?: Record<string, string>;
}): Promise<SupervisedProcess> {
  const script = scriptByEntry(options.entry);
  if (!script) throw new Error(`${options.entry} is not in scripts/catalog.ts`);
  await Deno.mkdir(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${script.name}.log`);
  const file = await Deno.open(logFile, { create: true, write: true, truncate: true });
  const child = new Deno.Command(denoCommand(), {
    args: ["run", ...script.permissions, options.entry, ...options.args],
    env: { NO_COLOR: "1", KAFKAJS_NO_PARTITIONER_WARNING: "1", ...options.env },
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
  const exited = child.status.then(async (status) => {
    await drained;
    return status;
  });
  let stopping: Promise<Deno.CommandStatus> | undefined;
  return {
    name: script.name,
    pid: child.pid,
    logFile,
    exited,
    stop(graceMs = 20_000) {
      stopping ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already exited */ }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* already exited */ }
        }, graceMs);
        const status = await exited;
        clearTimeout(timer);
        return status;
      })();
      return stopping;
    },
  };
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
