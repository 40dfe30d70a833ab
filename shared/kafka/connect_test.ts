import assert from "node:assert/strict";
import { createLogger } from "../platform/log.ts";
import { connectOrSay } from "./connect.ts";

const connection = { brokers: ["127.0.0.1:1"], clientId: "t" };

Deno.test("connectOrSay: true when connected, else one line naming the brokers", async () => {
  const lines: string[] = [];
  const log = createLogger({ name: "t", write: (l) => lines.push(l) });
  assert.equal(await connectOrSay(() => Promise.resolve(), connection, log), true);
  assert.deepEqual(lines, []);
  const refused = () => Promise.reject(new Error("Connection error: connect ECONNREFUSED"));
  assert.equal(await connectOrSay(refused, connection, log), false);
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]);
  assert.equal(line.msg, "cannot reach Kafka");
  assert.deepEqual(line.brokers, ["127.0.0.1:1"]);
});
