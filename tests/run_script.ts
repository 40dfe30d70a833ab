/**
 * Runs a script of the service table under exactly the permission flags its
 * row gives it (scripts/services.ts), from the repository root, without
 * colours. `runScript` runs one to its end and returns its output as text
 * (`--help`, short runs); tests/pipeline.ts's `startScript` spawns the
 * long-running ones through the same {@linkcode scriptDenoCommand}.
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

/** `deno` with `args` from the repository root, stdin closed, output piped, without colours. */
export function denoCommand(
  args: readonly string[],
  env: Record<string, string> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** The command that runs `entry` with `args` under its row's permissions. */
export function scriptDenoCommand(
  entry: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Deno.Command {
  return denoCommand(scriptCommand(entry, args), env);
}

/** Runs `entry` with `args` to its end. */
export async function runScript(
  entry: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  return decoded(await scriptDenoCommand(entry, args, env).output());
}

/** Runs `deno` with `args` from the repository root to its end. */
export async function runDeno(args: readonly string[]): Promise<ScriptRun> {
  return decoded(await denoCommand(args).output());
}

function decoded(out: Deno.CommandOutput): ScriptRun {
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
