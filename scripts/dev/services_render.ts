/**
 * The text the service table (scripts/services.ts) is written out as: each
 * script's deno task, docs/configuration.md, the README's short script
 * table, and compose.yaml's permission flags. Pure: scripts in, text out;
 * scripts/dev/services_generate.ts writes the files, and
 * tests/script_permissions_test.ts fails when one is out of date.
 *
 * @example
 * ```ts
 * import { SCRIPTS } from "../services.ts";
 * import { denoTasks, readmeBlock } from "./services_render.ts";
 * denoTasks(SCRIPTS)["order-gateway"].command; // "deno run --allow-net … scripts/order_gateway.ts"
 * readmeBlock(SCRIPTS).startsWith("<!-- services:begin -->"); // true
 * ```
 * @module
 */
import { flagName, type FlagSpec } from "../../shared/platform/config.ts";
import type { ScriptEntry } from "../services.ts";

/** A task of deno.json. */
export interface DenoTask {
  description: string;
  command: string;
}

export const README_BEGIN = "<!-- services:begin -->";
export const README_END = "<!-- services:end -->";

/** The `deno run` command of a script, on one line. */
export function runCommand(script: ScriptEntry): string {
  return ["deno run", ...script.permissions, script.entry].join(" ");
}

/** Each script's deno task, in the table's order: `deno task <task> --help`. */
export function denoTasks(scripts: readonly ScriptEntry[]): Record<string, DenoTask> {
  return Object.fromEntries(
    scripts.map((s) => [s.task, { description: s.summary, command: runCommand(s) }]),
  );
}

/**
 * deno.json's tasks with the scripts' tasks made anew: the hand-written ones
 * (test, check, …: none runs a script of the table) first, as they are,
 * then one per script.
 */
export function mergeTasks(
  tasks: Record<string, DenoTask | string>,
  scripts: readonly ScriptEntry[],
): Record<string, DenoTask | string> {
  const generated = denoTasks(scripts);
  const entries = new Set(scripts.map((s) => s.entry));
  const runsScript = (task: DenoTask | string) => {
    const command = typeof task === "string" ? task : task.command;
    return command.startsWith("deno run ") && entries.has(command.split(" ").at(-1)!);
  };
  const hand = Object.entries(tasks).filter(([name, task]) =>
    !(name in generated) && !runsScript(task)
  );
  return { ...Object.fromEntries(hand), ...generated };
}

/** A flag's default as docs/configuration.md shows it (secrets and none: empty). */
function shownDefault(spec: FlagSpec): string {
  if (spec.type === "string" && spec.secret) return "";
  if (spec.default === undefined) return "";
  return Array.isArray(spec.default) ? spec.default.join(",") : String(spec.default);
}

/** Text safe in a markdown table cell, in code. */
function code(text: string): string {
  return text === "" ? "" : `\`${text.replaceAll("|", "\\|")}\``;
}

/** A summary as the start of a sentence: its first letter capitalised. */
function sentence(summary: string): string {
  return summary[0].toUpperCase() + summary.slice(1);
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** The `deno run` line, wrapped before the entry as the docs show it. */
function runBlock(script: ScriptEntry): string {
  return [
    "```sh",
    `deno run ${script.permissions.join(" ")} \\`,
    `  ${script.entry} --help`,
    "```",
  ].join("\n");
}

function flagTable(flags: Record<string, FlagSpec>): string[] {
  return [
    "| Flag | Environment variable | Default | What it sets |",
    "| --- | --- | --- | --- |",
    ...Object.entries(flags).map(([key, spec]) => {
      const choices = spec.type === "enum" ? ` (${spec.choices.join(", ")})` : "";
      const required = "required" in spec && spec.required ? " (required)" : "";
      const value = spec.type === "boolean" ? "" : ` <${spec.type}>`;
      return `| ${code(`--${flagName(key)}${value}`)} | ${code(spec.env ?? "")} | ${
        code(shownDefault(spec))
      } | ${cell(spec.description + choices + required)} |`;
    }),
  ];
}

/** One script's section of docs/configuration.md. */
function scriptSection(script: ScriptEntry): string[] {
  const ports = script.ports.map((p) =>
    `${p.port} (${code(p.flag)}${p.env ? `, ${code(p.env)}` : ""}: ${p.description})`
  );
  return [
    `## \`${script.name}\``,
    "",
    `${sentence(script.summary)}.`,
    ...(script.details ? ["", script.details] : []),
    "",
    `- Entry: \`${script.entry}\``,
    `- Task: \`deno task ${script.task}\``,
    ...(ports.length > 0 ? [`- Ports: ${ports.join("; ")}`] : []),
    ...(script.scrape
      ? [`- Prometheus scrapes \`/metrics\` on its \`--${flagName(script.scrape)}\``]
      : []),
    "",
    runBlock(script),
    "",
    ...(script.flags
      ? [...flagTable(script.flags), "", "`--help` (`-h`) lists the same flags."]
      : script.env
      ? [`Environment: ${script.env.map((e) => code(e)).join(", ")}; \`--help\` lists the flags.`]
      : ["`--help` lists its flags."]),
    "",
  ];
}

/** docs/configuration.md: per script its summary, task, `deno run` line, flags and ports. */
export function configurationDoc(scripts: readonly ScriptEntry[]): string {
  return [
    "# Configuration",
    "",
    "<!-- Generated from scripts/services.ts by `deno task services`; edit the table, not this file. -->",
    "",
    "Every script takes its settings as flags or environment variables (a flag wins over its " +
    "variable, which wins over the default) and runs with the narrowest permissions below: the " +
    "tests run each script under exactly these flags. `--allow-net` is unscoped because Kafka " +
    "brokers hand out their own addresses; `--allow-read` is unscoped where a script reads files " +
    "whose paths are the user's to name (Kafka's `--ssl-*-file`, the HTTP surfaces' " +
    "`--tls-*-file`, a file to import).",
    "",
    "**HTTP credentials and TLS** (the gateway, the status service and the dashboard; prefixes " +
    "`GATEWAY`, `STATUS`, `DASHBOARD`): each listens on 127.0.0.1 unless `--host` says " +
    "otherwise, and is open unless `--auth-token` (`<PREFIX>_AUTH_TOKEN`, sent as " +
    "`Authorization: Bearer <token>`) and/or `--basic-auth user:password` " +
    "(`<PREFIX>_BASIC_AUTH`) is set; then every request but `/healthz` needs one of them (401 " +
    "otherwise). `--tls-cert-file` and `--tls-key-file` (PEM) make it serve HTTPS. Prefer the " +
    "env vars for secrets (flags show in `ps`).",
    "",
    ...scripts.flatMap(scriptSection),
  ].join("\n");
}

/** The README's short script table, markers included. */
export function readmeBlock(scripts: readonly ScriptEntry[]): string {
  return [
    README_BEGIN,
    "| Script | What it does | Run it |",
    "| --- | --- | --- |",
    ...scripts.map((s) =>
      `| [\`${s.entry}\`](${s.entry}) | ${cell(sentence(s.summary))} | \`deno task ${s.task}\` |`
    ),
    "",
    "Each answers `--help` with every flag and its environment variable. Every flag, default, " +
    "port and the full `deno run` line with its permissions: " +
    "[docs/configuration.md](docs/configuration.md) (generated from `scripts/services.ts` by " +
    "`deno task services`).",
    README_END,
  ].join("\n");
}

/** `text` with what lies between the README markers (them included) replaced by `block`. */
export function replaceReadmeBlock(text: string, block: string): string {
  const begin = text.indexOf(README_BEGIN);
  const end = text.indexOf(README_END);
  if (begin < 0 || end < begin) {
    throw new Error(`README.md has no ${README_BEGIN} … ${README_END} block`);
  }
  return text.slice(0, begin) + block + text.slice(end + README_END.length);
}

/**
 * compose.yaml with each script service's permission flags (the lines
 * between `"run",` and its entry in its `command`) written from the table;
 * the rest of the file, hand-written, stays as it is.
 */
export function composeWithPermissions(text: string, scripts: readonly ScriptEntry[]): string {
  let out = text;
  for (const script of scripts) {
    const entry = script.entry.replaceAll(".", "\\.");
    // Every flag line (--allow-*, --deny-*, --ignore-env), so none is left behind.
    const command = new RegExp(`( *)"run",\\n(?:\\s*"--[^"\\n]*",\\n)*(\\s*"${entry}",)`, "g");
    out = out.replace(command, (_match, indent: string, entryLine: string) =>
      [
        `${indent}"run",`,
        ...script.permissions.map((p) => `${indent}${JSON.stringify(p)},`),
        entryLine.replace(/^\n/, ""),
      ].join("\n"));
  }
  return out;
}
