/**
 * Every runnable script answers `--help` under exactly the permission flags
 * scripts/services.ts (and so the README) gives for it, and lists each of
 * its flags with its environment variable.
 */
import assert from "node:assert/strict";
import { SCRIPTS } from "../scripts/services.ts";

for (const script of SCRIPTS) {
  Deno.test(`${script.name} --help runs under its declared permissions`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...script.permissions, script.entry, "--help"],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `exit ${out.code}\n${stderr}`);
    assert.match(stdout, /--help/);
    assert.doesNotMatch(stderr, /NotCapable|PermissionDenied|Requires .* access/);
  });
}

Deno.test("the README gives each script's `deno run` line exactly as the catalog does", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const missing = SCRIPTS.filter((s) =>
    !readme.includes(`deno run ${s.permissions.join(" ")} \\\n  ${s.entry}`)
  ).map((s) => s.entry);
  assert.deepEqual(missing, [], "README sections out of date with scripts/services.ts");
});
