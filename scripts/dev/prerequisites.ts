/**
 * What the test suite needs on this machine (shared/dev/prerequisites.ts),
 * and whether it is here.
 *
 *   deno task prerequisites                     # one line per prerequisite: found or missing
 *   deno task prerequisites --debian-packages   # the Debian packages of the missing ones, for apt-get
 *
 * Exits 1 when something is missing (0 with `--debian-packages`, which
 * `.ci/run` reads). It imports nothing from npm, so it runs before
 * `deno install`.
 *
 * Permissions: --allow-read --allow-env
 * @module
 */
import { PREREQUISITES, probeMachine, whereLooked } from "../../shared/dev/prerequisites.ts";

const missing = PREREQUISITES.filter((p) => !probeMachine(p));
if (Deno.args.includes("--debian-packages")) {
  console.log([...new Set(missing.map((p) => p.debianPackage))].join(" "));
  Deno.exit(0);
}
if (Deno.args.length > 0) {
  console.error(`usage: deno task prerequisites [--debian-packages] (unknown: ${Deno.args[0]})`);
  Deno.exit(2);
}
for (const p of PREREQUISITES) {
  const found = !missing.includes(p);
  console.log(
    `${found ? "found  " : "MISSING"} ${p.name}: ${p.purpose} ${whereLooked(p.probe)}` +
      (found ? "" : `; apt-get install ${p.debianPackage}`),
  );
}
Deno.exit(missing.length ? 1 : 0);
