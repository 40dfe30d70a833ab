/**
 * The flags of scripts/terminal_dashboard.ts (`--help` lists them), importable without running
 * it: scripts/services.ts derives the script's `--allow-env` and its
 * documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { logLevelFlag } from "../platform/log.ts";

export const terminalDashboardConfig = defineConfig({
  name: "terminal_dashboard",
  summary: "the live order figures in a terminal, redrawn in place from the aggregator's stream",
  flags: {
    statsUrl: {
      type: "string",
      env: "STATS_URL",
      default: "http://127.0.0.1:8083",
      description: "the aggregator's HTTP address (its /stats and /stats/stream)",
    },
    once: {
      type: "boolean",
      default: false,
      description: "print one frame of GET /stats and exit (1 when there is none)",
    },
    width: {
      type: "number",
      integer: true,
      min: 0,
      max: 1000,
      default: 0,
      description: "columns to draw in (0: the terminal's, or 100 when not a terminal)",
    },
    top: {
      type: "number",
      integer: true,
      min: 1,
      max: 20,
      default: 5,
      description: "entries of the top products and most viewed lists",
    },
    logLevel: logLevelFlag,
  },
});
