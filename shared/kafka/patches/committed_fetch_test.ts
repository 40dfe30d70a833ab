import assert from "node:assert/strict";
import { Consumer } from "@platformatic/kafka";
import { createConsumer } from "../client.ts";
import { CommittedConsumer } from "./committed_fetch.ts";
import { StableOffsetsConsumer } from "./stable_offsets.ts";

Deno.test("createConsumer builds a CommittedConsumer, still the library's Consumer", async () => {
  const consumer = createConsumer({ brokers: ["127.0.0.1:1"], clientId: "c" }, { groupId: "g" });
  assert.ok(consumer instanceof CommittedConsumer);
  assert.ok(consumer instanceof StableOffsetsConsumer);
  assert.ok(consumer instanceof Consumer);
  await consumer.close();
});
