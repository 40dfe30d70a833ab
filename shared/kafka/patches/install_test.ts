import assert from "node:assert/strict";
import { installKafkajsPatches, PATCHED_KAFKAJS_VERSION, versionMismatch } from "./install.ts";

Deno.test("the patches install on the kafkajs version they were written for, and twice is a no-op", () => {
  assert.equal(versionMismatch(PATCHED_KAFKAJS_VERSION), undefined);
  installKafkajsPatches();
  installKafkajsPatches();
});

Deno.test("any other kafkajs version is refused with one line naming what to review", () => {
  assert.match(
    versionMismatch("2.3.0") ?? "",
    /^kafkajs is 2\.3\.0, but shared\/kafka\/patches\/ patches 2\.2\.4: review each patch/,
  );
  assert.throws(() => installKafkajsPatches("2.3.0"), /review each patch/);
});
