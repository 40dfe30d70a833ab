/**
 * Run folders of the local servers the dev tools start (Kafka nodes,
 * PostgreSQL): each server gets a folder under a runs directory, with the
 * pid of the process that owns it in `owner.pid`. A test run killed with
 * SIGKILL leaves its folder and maybe its server behind; the next start
 * sweeps them with {@linkcode sweepOrphans}.
 *
 * @example
 * ```ts
 * import { readPid, isAlive } from "./run_folders.ts";
 * const owner = readPid("/tmp/pipeline-postgres/run-1/owner.pid");
 * if (owner !== undefined && isAlive(owner)) console.log("still in use");
 * ```
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../platform/log.ts";

/** Whether `pid` runs (a zombie, killed but not yet reaped, does not). */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The state follows the command name in parentheses, which may itself hold ")".
    const state = stat.lastIndexOf(")") + 2;
    return stat.slice(state, state + 1) !== "Z";
  } catch {
    return false;
  }
}

/** The pid on the first line of `path`, if there is one. */
export function readPid(path: string): number | undefined {
  try {
    const n = Number(Deno.readTextFileSync(path).split("\n")[0].trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds since `path` last changed; Infinity where it does not exist. */
export function ageMs(path: string): number {
  try {
    return Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
  } catch {
    return Infinity;
  }
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a file; empty when it cannot be read. */
export async function tail(path: string, lines = 15): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Whether `pid` runs with `dir` on its command line: only then is it ours to
 * kill, since a pid left in a file may since have been reused.
 */
export function runsIn(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(dir);
  } catch {
    return false; // gone meanwhile
  }
}

/** How one kind of server tells a live run folder and stops what a dead one left. */
export interface OrphanSweep {
  /** Whether `dir` may still be in use though its owner is not seen alive (a start in progress). */
  mayBeInUse(dir: string): boolean;
  /** Stops the servers a dead owner left running in `dir`. */
  stopLeftovers(dir: string, log: Logger): Promise<void>;
}

/**
 * Stops the servers of run folders whose owning process died without
 * stopping them, and removes those folders.
 */
export async function sweepOrphans(
  runsDir: string,
  log: Logger,
  sweep: OrphanSweep,
): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(runsDir)];
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(runsDir, entry.name);
    if (sweep.mayBeInUse(dir)) continue;
    const owner = readPid(join(dir, "owner.pid"));
    if (owner !== undefined && isAlive(owner)) continue;
    await sweep.stopLeftovers(dir, log);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
