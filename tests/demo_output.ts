/**
 * Reading what `deno task demo` prints at its end: the final figures
 * (`  name  123`, from the scripts' /metrics) and the aggregator's closing
 * statistics (`  Label  1,234.50`). Each lookup fails the test, with the
 * whole output, when the line is missing.
 *
 * @example
 * ```ts
 * import { demoOutput } from "./demo_output.ts";
 * const { figure, stat } = demoOutput("  ordersGenerated        12\n  Total price sum   1,234.50\n");
 * figure("ordersGenerated"); // 12
 * stat("Total price sum"); // 1234.5
 * ```
 * @module
 */
import assert from "node:assert/strict";

/** The demo's closing figures and statistics in `stdout`, by name. */
export function demoOutput(stdout: string): {
  figure(name: string): number;
  stat(label: string): number;
} {
  return {
    figure(name) {
      const m = new RegExp(`^\\s+${name}\\s+(\\d+)$`, "m").exec(stdout);
      assert.ok(m, `${name} in the final figures:\n${stdout}`);
      return Number(m[1]);
    },
    stat(label) {
      const m = new RegExp(`^\\s+${label}\\s+([\\d,.]+)$`, "m").exec(stdout);
      assert.ok(m, `${label} in the final statistics:\n${stdout}`);
      return Number(m[1].replaceAll(",", ""));
    },
  };
}
