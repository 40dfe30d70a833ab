import assert from "node:assert/strict";
import { parseCpuSeconds, parsePeakRssMb, sampleProcess } from "./proc.ts";

Deno.test("parsePeakRssMb reads VmHWM", () => {
  assert.equal(parsePeakRssMb("Name:\tdeno\nVmHWM:\t  153600 kB\nVmRSS:\t 1 kB\n"), 150);
  assert.equal(parsePeakRssMb("Name:\tdeno\n"), undefined);
});

Deno.test("parseCpuSeconds: utime + stime, a command name with spaces and parens", () => {
  const stat = "77 (my (odd) name) R 1 77 77 0 -1 4194560 100 0 0 0 250 120 0 0 20 0 1 0";
  assert.equal(parseCpuSeconds(stat, 100), 3.7);
  assert.equal(parseCpuSeconds("garbage"), undefined);
});

Deno.test("sampleProcess reads this process; a missing pid is undefined", () => {
  const s = sampleProcess(Deno.pid);
  assert.ok(s && s.peakRssMb > 1 && s.cpuSeconds >= 0);
  assert.equal(sampleProcess(2 ** 22 + 12345), undefined);
});
