import assert from "node:assert/strict";
import {
  composeWithPermissions,
  configurationDoc,
  denoTasks,
  mergeTasks,
  README_BEGIN,
  README_END,
  readmeBlock,
  replaceReadmeBlock,
  runCommand,
} from "./services_render.ts";
import type { ScriptEntry } from "../services.ts";

const TOOL: ScriptEntry = {
  name: "hello_tool",
  entry: "scripts/hello_tool.ts",
  summary: "says hello | twice",
  task: "hello-tool",
  permissions: ["--allow-net", "--allow-env=HELLO_PORT,LOG_LEVEL"],
  env: ["HELLO_PORT", "LOG_LEVEL"],
  flags: {
    port: { type: "number", env: "HELLO_PORT", default: 8090, description: "where it listens" },
    token: { type: "string", secret: true, default: "s3cret", description: "a secret" },
  },
  ports: [{ key: "port", flag: "--port", env: "HELLO_PORT", port: 8090, description: "p" }],
};

Deno.test("a script's task runs it with its permissions", () => {
  assert.equal(
    runCommand(TOOL),
    "deno run --allow-net --allow-env=HELLO_PORT,LOG_LEVEL scripts/hello_tool.ts",
  );
  assert.deepEqual(denoTasks([TOOL]), {
    "hello-tool": { description: TOOL.summary, command: runCommand(TOOL) },
  });
});

Deno.test("deno.json's hand-written tasks stay; the scripts' are made anew, stale ones go", () => {
  const merged = mergeTasks({
    test: { description: "the suite", command: "deno run --allow-all scripts/dev/run_tests.ts" },
    "old-name": { description: "renamed", command: "deno run --allow-net scripts/hello_tool.ts" },
    "hello-tool": "deno run scripts/hello_tool.ts",
  }, [TOOL]);
  assert.deepEqual(Object.keys(merged), ["test", "hello-tool"]);
  assert.deepEqual(merged["hello-tool"], denoTasks([TOOL])["hello-tool"]);
});

Deno.test("docs/configuration.md: summary, task, deno run line, each flag, ports", () => {
  const doc = configurationDoc([TOOL]);
  assert.match(doc, /^## `hello_tool`$/m);
  assert.match(doc, /^Says hello \| twice\.$/m);
  assert.match(doc, /deno task hello-tool/);
  assert.ok(doc.includes("deno run --allow-net --allow-env=HELLO_PORT,LOG_LEVEL \\\n  scripts/"));
  assert.match(doc, /\| `--port <number>` \| `HELLO_PORT` \| `8090` \| where it listens \|/);
  assert.doesNotMatch(doc, /s3cret/, "a secret's default is not shown");
  assert.match(doc, /Ports: 8090 \(`--port`, `HELLO_PORT`: p\)/);
});

Deno.test("the README block replaces what is between the markers, and only that", () => {
  const block = readmeBlock([TOOL]);
  assert.ok(block.startsWith(README_BEGIN) && block.endsWith(README_END));
  assert.ok(block.includes("Says hello \\| twice"), block);
  const readme = `# Title\n\n${README_BEGIN}\nold\n${README_END}\n\nAfter.\n`;
  assert.equal(replaceReadmeBlock(readme, block), `# Title\n\n${block}\n\nAfter.\n`);
  assert.throws(() => replaceReadmeBlock("# no markers\n", block), /no <!-- services:begin -->/);
});

Deno.test("compose.yaml: a script's permission lines are the table's, the rest as it was", () => {
  const compose = [
    "  hello:",
    "    command: [",
    '      "run",',
    '      "--allow-net",',
    '      "--allow-env=OLD",',
    // A flag line that is not an --allow-* one is rewritten too, not a stop.
    '      "--ignore-env",',
    '      "scripts/hello_tool.ts",',
    '      "--rate",',
    "    ]",
    "  other:",
    '    command: ["run", "--allow-all", "scripts/other.ts"]',
    "",
  ].join("\n");
  assert.equal(
    composeWithPermissions(compose, [TOOL]),
    compose.replace(
      '"--allow-env=OLD",\n      "--ignore-env"',
      '"--allow-env=HELLO_PORT,LOG_LEVEL"',
    ),
  );
});
