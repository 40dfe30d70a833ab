import assert from "node:assert/strict";
import { clientSoftwareVersion } from "@platformatic/kafka";
import {
  PATCHED_PLATFORMATIC_VERSION,
  platformaticMismatch,
  requirePatchedPlatformatic,
} from "./platformatic_version.ts";

Deno.test("the installed library is the patched version (deno.json pins it)", () => {
  assert.equal(clientSoftwareVersion, PATCHED_PLATFORMATIC_VERSION);
  requirePatchedPlatformatic("stable_offsets.ts");
});

Deno.test("another version is refused with one sentence naming the patch and both versions", () => {
  assert.equal(platformaticMismatch("x.ts", PATCHED_PLATFORMATIC_VERSION), undefined);
  const sentence = platformaticMismatch("client_transactions.ts", "2.13.0");
  assert.match(sentence!, /is 2\.13\.0, but shared\/kafka\/patches\/client_transactions\.ts/);
  assert.match(sentence!, /written for 2\.12\.1/);
  assert.throws(
    () => requirePatchedPlatformatic("stable_offsets.ts", "3.0.0"),
    /stable_offsets\.ts was written for 2\.12\.1/,
  );
});
