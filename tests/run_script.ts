/**
 * Runs a script of the service table to its end under exactly the
 * permission flags its row gives it (scripts/services.ts), from the
 * repository root, without colours; its output comes back as text. For
 * tests of a script's `--help` and of short runs; tests/pipeline.ts's
 * `startScript` is for the long-running ones.
 *
 * @example
 * ```ts
 * import { runScript } from "./run_script.ts";
 * const { code, stdout } = await runScript("scripts/order_gateway.ts", ["--help"]);
 * ```
 * @module
 */
import { scriptByEntry } from "../scripts/services.ts";

const ROOT = new URL("../", import.meta.url);

/** What a finished script printed, and its exit code. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The `deno` arguments that run `entry` under its row's permissions. */
export function scriptCommand(entry: string, args: readonly string[]): string[] {
  const script = scriptByEntry(entry);
  if (!script) throw new Error(`${entry} is not in scripts/services.ts`);
  return ["run", ...script.permissions, entry, ...args];
}

/** Runs `entry` with `args` to its end. */
export async function runScript(entry: string, args: readonly string[]): Promise<ScriptRun> {
  return await runDeno(scriptCommand(entry, args));
}

/** Runs `deno` with `args` from the repository root, stdin closed, without colours. */
export async function runDeno(args: readonly string[]): Promise<ScriptRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
