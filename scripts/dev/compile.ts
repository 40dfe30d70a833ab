/**
 * `deno task compile`: each runnable script (scripts/services.ts) as a
 * standalone binary under build/, with the same narrow permissions baked in.
 *
 * `deno compile` downloads Deno's runtime (denort) the first time. Where that
 * download is impossible, this stops with one sentence saying so, and how to
 * point DENORT_BIN at a denort binary obtained elsewhere.
 *
 *   deno run --allow-read --allow-write=build --allow-run --allow-env scripts/dev/compile.ts [NAME...]
 * @module
 */
import { SCRIPTS } from "../services.ts";

/** True when deno compile's output says the runtime download failed. */
export function isRuntimeDownloadFailure(output: string): boolean {
  return /denort|dl\.deno\.land/i.test(output) &&
    /(error sending request|dns error|connect|timed out|failed to download)/i.test(output);
}

async function main(): Promise<number> {
  const wanted = Deno.args.length ? SCRIPTS.filter((s) => Deno.args.includes(s.name)) : SCRIPTS;
  if (wanted.length === 0) {
    console.error(`compile: no such script; one of ${SCRIPTS.map((s) => s.name).join(", ")}`);
    return 2;
  }
  await Deno.mkdir("build", { recursive: true });
  for (const script of wanted) {
    const output = `build/${script.name}`;
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        ...script.permissions,
        ...(script.include ?? []).flatMap((path) => ["--include", path]),
        "--output",
        output,
        script.entry,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    if (!result.success) {
      if (isRuntimeDownloadFailure(text)) {
        console.error(
          "compile: `deno compile` must download Deno's runtime (denort) from dl.deno.land, " +
            "which this machine cannot reach; run it where the internet is reachable, or set " +
            "DENORT_BIN to a denort binary of the same Deno version.",
        );
      } else {
        console.error(`compile: ${script.entry} failed:\n${text}`);
      }
      return 1;
    }
    console.log(`built ${output}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
