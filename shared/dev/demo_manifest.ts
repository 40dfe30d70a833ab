/**
 * The demo's run manifest: what `deno task demo` is running right now, for
 * whoever needs to find it from outside (`deno task verify --chaos` reads it
 * to pick what to SIGKILL; the supervisors bring it back). The demo writes
 * it once everything has started, rewrites it on every restart (new pid,
 * one more restart) and once more when it has stopped; each write replaces
 * the file whole (a rename), so a reader never sees half of one.
 *
 * Its place is `<cache>/demo/run.json` ({@linkcode demoManifestPath}); the
 * demo prints it in its summary. The format, version 1:
 *
 * ```json
 * {
 *   "version": 1,
 *   "state": "running",
 *   "demoPid": 4242,
 *   "updatedAt": "2026-12-01T22:40:00.000Z",
 *   "processes": [
 *     { "name": "order_gateway", "pid": 4301, "restarts": 0, "logFile": ".../order_gateway.log" }
 *   ],
 *   "clusterManifest": ".../kafka/runs/<run>/cluster.json",
 *   "brokers": "127.0.0.1:41001,127.0.0.1:41003,127.0.0.1:41005",
 *   "registryUrl": "https://127.0.0.1:8081",
 *   "databaseUrl": "sqlite:.../demo/store.sqlite",
 *   "secure": true,
 *   "caFile": ".../security/pki/ca.pem",
 *   "credentialsFile": ".../demo/credentials.json"
 * }
 * ```
 *
 * @example
 * ```ts
 * import { readDemoManifest } from "./demo_manifest.ts";
 * const run = await readDemoManifest("/path/to/.cache/demo/run.json");
 * const victim = run.processes.find((p) => p.name === "inventory_data_consumer");
 * if (victim && run.state === "running") Deno.kill(victim.pid, "SIGKILL");
 * ```
 * @module
 */
import { dirname, join } from "node:path";
import type { Logger } from "../platform/log.ts";

/** One supervised script of the demo. */
export interface DemoProcess {
  /** Its catalog name (scripts/services.ts), which is also its Kafka principal. */
  name: string;
  /** The pid of the process running now (a new one after each restart). */
  pid: number;
  /** How many times its supervisor started it again after a crash. */
  restarts: number;
  /** Its output, appended across restarts. */
  logFile: string;
}

/** What `deno task demo` writes to its run manifest. */
export interface DemoManifest {
  version: 1;
  /** "running" once every process has started; "stopped" once the demo has stopped them all. */
  state: "running" | "stopping" | "stopped";
  /** The demo's own pid. */
  demoPid: number;
  /** When this version of the file was written (ISO 8601). */
  updatedAt: string;
  /** Every script the demo supervises, in start order. */
  processes: DemoProcess[];
  /**
   * The local cluster's own manifest (`ClusterManifest` in
   * shared/dev/broker/local_kafka.ts: the nodes' pids, kept current on their
   * restarts), when the demo started a cluster; absent on KAFKA_BROKERS or a
   * single provided broker.
   */
  clusterManifest?: string;
  /** The bootstrap servers the scripts use, comma-separated. */
  brokers: string;
  /** The embedded schema registry (https with --secure). */
  registryUrl: string;
  /** The database the consumers write to. */
  databaseUrl: string;
  /** Whether --secure was given: SASL_SSL per principal, basic auth and TLS on HTTP. */
  secure: boolean;
  /** With --secure: the CA every TLS endpoint (Kafka, registry, HTTP) is signed by. */
  caFile?: string;
  /**
   * With --secure: the demo's credentials (JSON, mode 600): the HTTP surfaces'
   * and the registry's basic auth, and the path of Kafka's credentials file.
   */
  credentialsFile?: string;
}

/** Where the demo keeps its manifest: `<cacheDir>/demo/run.json`. Pure. */
export function demoManifestPath(cacheDir: string): string {
  return join(cacheDir, "demo", "run.json");
}

/** Writes `manifest` to `path` whole: a temporary file beside it, then a rename. */
export async function writeDemoManifest(path: string, manifest: DemoManifest): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

/** Reads a run manifest; throws when the file is missing or not one. */
export async function readDemoManifest(path: string): Promise<DemoManifest> {
  const manifest = JSON.parse(await Deno.readTextFile(path)) as DemoManifest;
  if (manifest?.version !== 1 || !Array.isArray(manifest.processes)) {
    throw new Error(`${path} is not a demo run manifest (version 1)`);
  }
  return manifest;
}

/** What stays the same in the manifest for a whole run. */
export type DemoRunInfo = Omit<DemoManifest, "state" | "processes" | "updatedAt">;

/** The manifest of `run` in `state` at `now`, with each process as it is now. Pure. */
export function demoManifest(
  run: DemoRunInfo,
  state: DemoManifest["state"],
  processes: readonly DemoProcess[],
  now: Date,
): DemoManifest {
  return {
    ...run,
    state,
    updatedAt: now.toISOString(),
    processes: processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      restarts: p.restarts,
      logFile: p.logFile,
    })),
  };
}

/** The demo's side of its manifest: nothing is written before {@linkcode begin}. */
export interface DemoManifestWriter {
  /** Once everything has started: from now on, writes describe `run`. */
  begin(run: DemoRunInfo): void;
  /**
   * Writes the manifest in `state` (nothing before `begin`), after the write
   * before it; a failed write is logged, never thrown.
   */
  write(state: DemoManifest["state"]): Promise<void>;
}

/** A writer of `path` that lists `processes` (read on each write: they change on restarts). */
export function demoManifestWriter(
  path: string,
  processes: readonly DemoProcess[],
  log: Logger,
): DemoManifestWriter {
  let run: DemoRunInfo | undefined;
  let writes = Promise.resolve();
  return {
    begin(info) {
      run = info;
    },
    write(state) {
      const base = run;
      if (!base) return writes;
      writes = writes.then(() =>
        writeDemoManifest(path, demoManifest(base, state, processes, new Date()))
      ).catch((err) =>
        log.warn("cannot write the run manifest", { manifestFile: path, error: err })
      );
      return writes;
    },
  };
}
