/**
 * CPU time and peak memory of a process, from Linux's /proc: the parsers are
 * pure, {@linkcode sampleProcess} reads the files.
 *
 * @example
 * ```ts
 * import { parseCpuSeconds, parsePeakRssMb } from "./proc.ts";
 * parsePeakRssMb("VmHWM:\t  102400 kB\n"); // 100
 * parseCpuSeconds("42 (deno) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0", 100); // 2
 * ```
 * @module
 */

/** Peak resident set size (VmHWM) in MB from /proc/<pid>/status text. */
export function parsePeakRssMb(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

/**
 * User plus system CPU seconds from /proc/<pid>/stat text (fields 14 and 15,
 * counted after the command name, which may itself hold spaces).
 */
export function parseCpuSeconds(stat: string, ticksPerSecond = 100): number | undefined {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(rest[11]), stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime)
    ? (utime + stime) / ticksPerSecond
    : undefined;
}

/** What one process has used so far. */
export interface ProcessSample {
  cpuSeconds: number;
  peakRssMb: number;
}

/** Reads a live process's CPU seconds and peak RSS; undefined once it is gone. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const cpu = parseCpuSeconds(Deno.readTextFileSync(`/proc/${pid}/stat`));
    const rss = parsePeakRssMb(Deno.readTextFileSync(`/proc/${pid}/status`));
    return cpu === undefined || rss === undefined ? undefined : { cpuSeconds: cpu, peakRssMb: rss };
  } catch {
    return undefined;
  }
}
