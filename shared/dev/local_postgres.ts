/**
 * A throwaway PostgreSQL server for tests and the demo, from the Debian
 * packages' binaries (`/usr/lib/postgresql/<version>/bin`, or `PG_BIN_DIR`):
 * `initdb` into a fresh folder under the temp dir, `pg_ctl start` on a free
 * loopback port with durability off (fsync, synchronous_commit), trust
 * authentication for the `postgres` user, and `stop()` to stop it and remove
 * the folder. PostgreSQL refuses to run as root, so as root the binaries run
 * as the `postgres` user (which the Debian package creates) via `runuser`.
 * Servers whose owning process died (a SIGKILLed test run) are stopped and
 * removed the next time one starts.
 *
 * @example
 * ```ts
 * import { createDatabase, startLocalPostgres } from "./local_postgres.ts";
 * import { createLogger } from "../platform/log.ts";
 * const server = await startLocalPostgres({ log: createLogger({ name: "postgres" }) });
 * const url = await createDatabase(server.url, "pipeline"); // postgres://postgres@127.0.0.1:PORT/pipeline
 * await server.stop();
 * ```
 * @module
 */
import { join } from "node:path";
// @ts-types="@types/pg"
import pg from "pg";
import { freePort } from "./broker/local_kafka.ts";
import type { Logger } from "../platform/log.ts";
import {
  ageMs,
  isAlive,
  readPid,
  runsIn,
  sweepOrphans as sweepRunFolders,
  tail,
} from "./run_folders.ts";

/** A missing prerequisite or a failed step, said in one sentence. */
export class LocalPostgresError extends Error {
  constructor(message: string, readonly logFile?: string) {
    super(logFile ? `${message} (log: ${logFile})` : message);
    this.name = "LocalPostgresError";
  }
}

const MISSING =
  "PostgreSQL's server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin " +
  "or PG_BIN_DIR: install postgresql (apt-get install postgresql) or set DATABASE_URL";

/** Where the server binaries are, and their major version. */
export interface PostgresInstall {
  binDir: string;
  version: string;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Finds initdb and pg_ctl: PG_BIN_DIR, else the newest Debian install. */
export function findPostgres(): PostgresInstall {
  const has = (dir: string) => isFile(join(dir, "initdb")) && isFile(join(dir, "pg_ctl"));
  const fromEnv = env("PG_BIN_DIR");
  if (fromEnv) {
    if (!has(fromEnv)) throw new LocalPostgresError(`PG_BIN_DIR=${fromEnv} has no initdb/pg_ctl`);
    return { binDir: fromEnv, version: "?" };
  }
  let versions: string[] = [];
  try {
    versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .filter((v) => has(join("/usr/lib/postgresql", v, "bin")))
      .sort((a, b) => Number(b) - Number(a));
  } catch { /* not installed */ }
  if (versions.length === 0) throw new LocalPostgresError(MISSING);
  return { binDir: join("/usr/lib/postgresql", versions[0], "bin"), version: versions[0] };
}

/** The user and group ids of an account, from /etc/passwd. */
function account(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const [user, , uid, gid] = line.split(":");
      if (user === name) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch { /* unreadable: treat as absent */ }
  return undefined;
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/** How to run a PostgreSQL binary: directly, or as `postgres` when we are root. */
function commandFor(
  runAs: string | undefined,
  bin: string,
  args: string[],
  cwd: string,
): Deno.Command {
  const options: Deno.CommandOptions = {
    cwd,
    env: { LC_ALL: "C" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  };
  return runAs
    ? new Deno.Command("runuser", { ...options, args: ["-u", runAs, "--", bin, ...args] })
    : new Deno.Command(bin, { ...options, args });
}

async function run(
  runAs: string | undefined,
  bin: string,
  args: string[],
  cwd: string,
  logFile: string,
): Promise<boolean> {
  const out = await commandFor(runAs, bin, args, cwd).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  await Deno.writeTextFile(logFile, text, { append: true });
  return out.success;
}

/** SIGQUIT (immediate shutdown: the postmaster takes its children down), SIGKILL if it lingers. */
async function killPostmaster(pid: number, dataDir: string): Promise<void> {
  // Only our own server: a recycled pid must not be hit.
  if (!runsIn(pid, dataDir)) return;
  try {
    Deno.kill(pid, "SIGQUIT");
  } catch { /* gone meanwhile */ }
  for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
}

/** The folder every local server's run folder lives in. */
export function defaultRunsDir(): string {
  return join(env("TMPDIR") ?? "/tmp", "pipeline-postgres");
}

/**
 * Stops servers whose owning process died without stopping them and removes
 * their folders. A folder without an owner yet may be a start in progress
 * elsewhere, so young ones are left alone.
 */
export function sweepOrphans(runsDir: string, log: Logger): Promise<void> {
  return sweepRunFolders(runsDir, log, {
    mayBeInUse: (dir) => readPid(join(dir, "owner.pid")) === undefined && ageMs(dir) < 120_000,
    stopLeftovers: async (dir, log) => {
      const dataDir = join(dir, "data");
      const postmaster = readPid(join(dataDir, "postmaster.pid"));
      if (postmaster === undefined || !isAlive(postmaster)) return;
      log.warn("stopping a PostgreSQL server left running by a dead process", {
        pid: postmaster,
        dir,
      });
      await killPostmaster(postmaster, dataDir);
    },
  });
}

export interface LocalPostgresOptions {
  log: Logger;
  /** Server port; 0 (default) picks a free one. */
  port?: number;
  /** Where run folders go; default {@linkcode defaultRunsDir}. */
  runsDir?: string;
  /** How long `pg_ctl start` may wait for the server to accept connections. */
  startTimeoutMs?: number;
  /** Server settings besides the defaults, e.g. `{ wal_level: "logical" }` for a CDC source. */
  settings?: Record<string, string>;
}

/** A running local server. */
export interface LocalPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, no password). */
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly runDir: string;
  readonly logFile: string;
  /** Milliseconds for initdb, and from `pg_ctl start` to accepting connections. */
  readonly initdbMs: number;
  readonly startMs: number;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

/** Creates a fresh cluster and starts it; resolves once it accepts connections. */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const { log } = options;
  const install = findPostgres();
  let runAs: string | undefined;
  let owner: { uid: number; gid: number } | undefined;
  if (isRoot()) {
    owner = account("postgres");
    if (!owner) {
      throw new LocalPostgresError(
        "PostgreSQL refuses to run as root and there is no `postgres` user to run it as: " +
          "install postgresql (apt-get install postgresql), which creates it, or set DATABASE_URL",
      );
    }
    runAs = "postgres";
  }
  const runsDir = options.runsDir ?? defaultRunsDir();
  await Deno.mkdir(runsDir, { recursive: true });
  // The postgres user must be able to reach its folder inside ours.
  await Deno.chmod(runsDir, 0o755).catch(() => {});
  await sweepOrphans(runsDir, log);

  const runDir = join(runsDir, `${Date.now().toString(36)}-${Deno.pid}`);
  const dataDir = join(runDir, "data");
  const logFile = join(runDir, "postgres.log");
  await Deno.mkdir(runDir, { mode: 0o700 });
  await Deno.writeTextFile(join(runDir, "owner.pid"), `${Deno.pid}\n`);
  await Deno.writeTextFile(logFile, "");
  if (owner) {
    await Deno.chown(runDir, owner.uid, owner.gid);
    await Deno.chown(logFile, owner.uid, owner.gid);
  }
  const bin = (name: string) => join(install.binDir, name);
  const setupLog = join(runDir, "setup.log");
  const fail = async (message: string, file: string): Promise<never> => {
    const lastLines = await tail(file);
    await Deno.remove(runDir, { recursive: true }).catch(() => {});
    throw new LocalPostgresError(`${message}:\n${lastLines}`);
  };

  let started = performance.now();
  // -N: no fsync of the new cluster; it lives for one run.
  const initdbArgs = ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"];
  if (!await run(runAs, bin("initdb"), [...initdbArgs, "-N"], runDir, setupLog)) {
    await fail("initdb failed to create a PostgreSQL cluster", setupLog);
  }
  const initdbMs = Math.round(performance.now() - started);

  const port = options.port || freePort();
  // Durability off: a test database that loses its last commits on a power cut is fine.
  const serverOptions = [
    `-p ${port}`,
    `-k '${runDir}'`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=100",
    "-c shared_buffers=32MB",
    ...Object.entries(options.settings ?? {}).map(([key, value]) => `-c ${key}=${value}`),
  ].join(" ");
  const timeoutS = Math.ceil((options.startTimeoutMs ?? 60_000) / 1000);
  started = performance.now();
  const ok = await run(
    runAs,
    bin("pg_ctl"),
    ["start", "-D", dataDir, "-l", logFile, "-w", "-t", String(timeoutS), "-o", serverOptions],
    runDir,
    setupLog,
  );
  if (!ok) {
    const postmaster = readPid(join(dataDir, "postmaster.pid"));
    if (postmaster !== undefined) await killPostmaster(postmaster, dataDir);
    await fail(`PostgreSQL did not start on port ${port}`, logFile);
  }
  const startMs = Math.round(performance.now() - started);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  log.info("local PostgreSQL started", {
    version: install.version,
    url,
    initdbMs,
    startMs,
    logFile,
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    version: install.version,
    runDir,
    logFile,
    initdbMs,
    startMs,
    stop() {
      stopping ??= (async () => {
        const stopped = await run(
          runAs,
          bin("pg_ctl"),
          ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"],
          runDir,
          setupLog,
        );
        if (!stopped) {
          const postmaster = readPid(join(dataDir, "postmaster.pid"));
          if (postmaster !== undefined) await killPostmaster(postmaster, dataDir);
        }
        await Deno.remove(runDir, { recursive: true }).catch(() => {});
        log.info("local PostgreSQL stopped", { port });
      })();
      return stopping;
    },
  };
}

/** Quotes an SQL identifier. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * Creates database `name` on the server `adminUrl` points at (if it does not
 * exist) and returns its URL; tests give each case a database of its own.
 */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${ident(name)}`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/** Drops database `name`, disconnecting whoever is still on it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
