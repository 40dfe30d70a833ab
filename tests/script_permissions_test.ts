/**
 * Every runnable script answers `--help` under exactly the permission flags
 * its row of the service table (scripts/services.ts) gives it, and what is
 * generated from the table is up to date: deno.json's script tasks,
 * docs/configuration.md (each script's `deno run` line, flags and ports),
 * the README's script table, compose.yaml's permission flags and
 * prometheus.yml (`deno task services` writes them).
 */
import assert from "node:assert/strict";
import { SCRIPTS } from "../scripts/services.ts";
import {
  denoTasks,
  README_BEGIN,
  README_END,
  readmeBlock,
} from "../scripts/dev/services_render.ts";
import { generatedFiles } from "../scripts/dev/services_generate.ts";
import { runDeno, runScript } from "./run_script.ts";

const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

for (const script of SCRIPTS) {
  Deno.test(`${script.name} --help runs under its declared permissions`, async () => {
    const { code, stdout, stderr } = await runScript(script.entry, ["--help"]);
    assert.equal(code, 0, `exit ${code}\n${stderr}`);
    assert.match(stdout, /--help/);
    assert.doesNotMatch(stderr, /NotCapable|PermissionDenied|Requires .* access/);
    // Every environment variable its help names is one its permissions let it read.
    for (const [, env] of stdout.matchAll(/ env ([A-Z0-9_]+)/g)) {
      assert.ok(script.env === undefined || script.env.includes(env), `${script.name}: ${env}`);
    }
  });
}

Deno.test("a script's deno task is its row: deno task order-gateway --help", async () => {
  const { code, stdout, stderr } = await runDeno(["task", "order-gateway", "--help"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /--send-timeout-ms/);
});

Deno.test("deno.json's script tasks are the table's, with its permissions", async () => {
  const tasks = JSON.parse(await read("deno.json")).tasks;
  for (const [name, task] of Object.entries(denoTasks(SCRIPTS))) {
    assert.deepEqual(tasks[name], task, `deno.json task ${name}: deno task services`);
  }
});

Deno.test("the README's script table and docs/configuration.md come from the table", async () => {
  const readme = await read("README.md");
  const block = readme.slice(readme.indexOf(README_BEGIN), readme.indexOf(README_END));
  for (const script of SCRIPTS) {
    assert.ok(block.includes(`deno task ${script.task}`), `README lists ${script.task}`);
  }
  assert.ok(readmeBlock(SCRIPTS).includes("docs/configuration.md"));
  const docs = await read("docs/configuration.md");
  for (const script of SCRIPTS) {
    assert.ok(
      docs.includes(`deno run ${script.permissions.join(" ")} \\\n  ${script.entry}`),
      `docs/configuration.md gives ${script.entry}'s deno run line`,
    );
  }
});

Deno.test("every generated file is up to date (deno task services)", async () => {
  const stale: string[] = [];
  for (const file of await generatedFiles()) {
    if ((await read(file.path)) !== file.text) stale.push(file.path);
  }
  assert.deepEqual(stale, [], "out of date: run deno task services");
});
