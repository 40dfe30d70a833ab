import assert from "node:assert/strict";
import {
  missingFor,
  missingLine,
  neededFor,
  type Prerequisite,
  PREREQUISITES,
  probeMachine,
} from "./prerequisites.ts";

const byName = (name: string) => PREREQUISITES.find((p) => p.name === name)!;

Deno.test("a whole run needs everything; a run of some paths only what they need", () => {
  const chromium = byName("Chromium");
  assert.equal(neededFor(chromium, []), true);
  assert.equal(neededFor(chromium, ["tests/dashboard_test.ts"]), true);
  assert.equal(neededFor(chromium, ["./tests/dashboard_test.ts"]), true);
  assert.equal(neededFor(chromium, ["tests"]), true, "a folder holding the test");
  assert.equal(neededFor(chromium, ["tests/"]), true);
  assert.equal(neededFor(chromium, ["tests/broker_test.ts"]), false);
  assert.equal(neededFor(chromium, ["shared/dev"]), false);
  assert.equal(neededFor(byName("Java"), ["tests/broker_test.ts"]), true);
});

Deno.test("missingFor keeps the table's order and skips what is present or not needed", () => {
  const absent = new Set(["Prometheus", "Chromium", "Maven"]);
  const present = (p: Prerequisite) => !absent.has(p.name);
  assert.deepEqual(missingFor(PREREQUISITES, present).map((p) => p.name), [
    "Maven",
    "Chromium",
    "Prometheus",
  ]);
  assert.deepEqual(
    missingFor(PREREQUISITES, present, ["tests/prometheus_scrape_test.ts"]).map((p) => p.name),
    ["Maven", "Prometheus"],
  );
  assert.deepEqual(missingFor(PREREQUISITES, () => true), []);
});

Deno.test("missingLine: one line, what is missing, what for, where looked, how to install", () => {
  assert.equal(missingLine([]), "");
  assert.equal(
    missingLine([byName("Chromium")]),
    "deno task test needs Chromium (the dashboard's browser test) at /usr/bin/chromium or " +
      "CHROMIUM_PATH: install it with `apt-get install chromium`",
  );
  const two = missingLine([byName("Java"), byName("PostgreSQL's server")]);
  assert.equal(two.includes("\n"), false);
  assert.match(two, /needs Java \(.*\) \(`java` on PATH\); PostgreSQL's server/);
  assert.match(two, /install them with `apt-get install openjdk-17-jre-headless postgresql`$/);
});

Deno.test("every prerequisite names a Debian package; names are unique", () => {
  assert.equal(new Set(PREREQUISITES.map((p) => p.name)).size, PREREQUISITES.length);
  for (const p of PREREQUISITES) assert.match(p.debianPackage, /^[a-z0-9][a-z0-9.+-]+$/);
});

Deno.test("probeMachine finds a command on PATH and a file's env override", () => {
  // `sh` is on every machine this runs on; a made-up command is on none.
  const sh: Prerequisite = {
    name: "sh",
    purpose: "x",
    probe: { kind: "command", command: "sh" },
    debianPackage: "dash",
  };
  assert.equal(probeMachine(sh), true);
  assert.equal(
    probeMachine({ ...sh, probe: { kind: "command", command: "no-such-program-here-42" } }),
    false,
  );
  const shPath = Deno.env.get("PATH")!.split(":").map((d) => `${d}/sh`)
    .find((f) => {
      try {
        return Deno.statSync(f).isFile;
      } catch {
        return false;
      }
    })!;
  const env = "PREREQUISITES_TEST_FILE";
  Deno.env.set(env, shPath);
  try {
    assert.equal(
      probeMachine({ ...sh, probe: { kind: "file", path: "/no/such/file", env } }),
      true,
    );
  } finally {
    Deno.env.delete(env);
  }
  assert.equal(probeMachine({ ...sh, probe: { kind: "file", path: "/no/such/file" } }), false);
});
