import assert from "node:assert/strict";
import { defineConfig } from "../platform/config.ts";
import { kafkaFlags } from "./connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { startKafkaScript } from "./kafka_script.ts";

const config = defineConfig({
  name: "hello",
  summary: "Says hello.",
  flags: { logLevel: logLevelFlag, ...kafkaFlags },
});

Deno.test("a Kafka script starts with its flags, its logger and its connection", () => {
  const args = ["--brokers", "k1:9092,k2:9092", "--log-level", "warn"];
  const { cfg, log, connection } = startKafkaScript(
    { load: () => config.parse(args, () => undefined), orExit: (check) => check() },
    { name: "hello", brokers: ["127.0.0.1:9092"] },
  );
  assert.equal(cfg.logLevel, "warn");
  assert.equal(log.level, "warn");
  assert.deepEqual(connection.brokers, ["k1:9092", "k2:9092"]);
  assert.equal(connection.clientId, "hello");
  const fallback = startKafkaScript(
    { load: () => config.parse([], () => undefined), orExit: (check) => check() },
    { name: "hello", brokers: ["127.0.0.1:9092"] },
  );
  assert.deepEqual(fallback.connection.brokers, ["127.0.0.1:9092"]);
});
