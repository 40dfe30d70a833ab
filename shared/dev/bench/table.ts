/**
 * Renders the benchmark's report as Markdown tables (what `deno task bench`
 * prints and BENCHMARKS.md holds). Pure.
 *
 * @example
 * ```ts
 * import { markdownTable } from "./table.ts";
 * markdownTable(["a", "b"], [["x", "1"]], ["l", "r"]);
 * // "| a | b |\n| --- | ---: |\n| x | 1 |"
 * ```
 * @module
 */
import type { BenchReport } from "./report.ts";

/** A Markdown table; `align` is "l" or "r" per column (left by default). */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly ("l" | "r")[] = [],
): string {
  const rule = headers.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [headers, rule, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** A number for the table: thousands separated, `digits` decimals, "–" when missing. */
export function num(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const SECTION_TITLES = {
  limit: "Kafka's own tools (the limit)",
  plain: "plain clients",
  stage: "stages of the product",
  pipeline: "whole pipeline",
} as const;

/** Every table of the report: measurements, end to end, ratios, targets. */
export function renderReport(r: BenchReport): string {
  const measured = markdownTable(
    ["section", "measurement", "records", "records/s", "MB/s", "CPU s", "peak RSS MB", "note"],
    r.measurements.map((m) => [
      SECTION_TITLES[m.section],
      m.name,
      num(m.records),
      num(m.recordsPerSec),
      num(m.mbPerSec, 2),
      num(m.cpuSeconds, 1),
      num(m.peakRssMb),
      m.note ?? "",
    ]),
    ["l", "l", "r", "r", "r", "r", "r", "l"],
  );
  const p = r.pipeline;
  const e2e = markdownTable(["end to end", "value"], [
    ["backlog drained (orders)", num(p.backlogOrders)],
    ["instances of each router and consumer", num(p.instances)],
    ["sustained orders/s", num(p.ordersPerSec)],
    ["CPU seconds per 10k orders (all scripts)", num(p.cpuSecondsPer10k, 2)],
    ["CPU seconds per 10k orders (broker)", num(p.brokerCpuSecondsPer10k, 2)],
    [
      `latency offered / achieved orders/s`,
      `${num(p.latency.offeredRate)} / ${num(p.latency.achievedRate)}`,
    ],
    ["latency orders measured", num(p.latency.count)],
    [
      "latency p50 / p95 / p99 / max ms",
      [p.latency.p50, p.latency.p95, p.latency.p99, p.latency.max]
        .map((x) => num(x)).join(" / "),
    ],
    ...Object.entries(p.peakRssMb).map(([script, mb]) => [`peak RSS ${script} (MB)`, num(mb)]),
  ], ["l", "r"]);
  const ratios = markdownTable(
    ["ratio", "value"],
    r.ratios.map((x) => [x.name, num(x.value, 2)]),
    ["l", "r"],
  );
  const targets = markdownTable(
    ["target", "goal", "measured", "met"],
    r.targets.map((t) => [t.name, t.goal, t.measured, t.met ? "yes" : "**no**"]),
  );
  return [measured, e2e, ratios, targets].join("\n\n");
}
