import assert from "node:assert/strict";
import { clientSoftwareVersion, Consumer } from "@platformatic/kafka";
import { createConsumer } from "../client.ts";
import {
  CommittedConsumer,
  SUPPORTED_LIBRARY_VERSION,
  unsupportedLibraryVersion,
} from "./committed_fetch.ts";

Deno.test("the installed library is the version the patch was read against", () => {
  assert.equal(clientSoftwareVersion, SUPPORTED_LIBRARY_VERSION);
  assert.equal(unsupportedLibraryVersion(SUPPORTED_LIBRARY_VERSION), undefined);
});

Deno.test("another library version is refused with what to do", () => {
  const refusal = unsupportedLibraryVersion("2.13.0");
  assert.match(refusal ?? "", /@platformatic\/kafka 2\.13\.0 is installed/);
  assert.match(refusal ?? "", /tests\/committed_fetch_test\.ts/);
});

Deno.test("createConsumer builds a CommittedConsumer, still the library's Consumer", async () => {
  const consumer = createConsumer({ brokers: ["127.0.0.1:1"], clientId: "c" }, { groupId: "g" });
  assert.ok(consumer instanceof CommittedConsumer);
  assert.ok(consumer instanceof Consumer);
  await consumer.close();
});
