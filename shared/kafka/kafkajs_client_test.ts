import assert from "node:assert/strict";
import { Kafka } from "kafkajs";
import { createKafka } from "./kafkajs_client.ts";
import { createLogger, type LogLevel } from "../platform/log.ts";

function collectingLogger(level: LogLevel = "info") {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    name: "kafka-test",
    level,
    write: (l) => lines.push(JSON.parse(l)),
  });
  return { log, lines };
}

Deno.test("createKafka returns a client without connecting", async () => {
  // A loopback listener stands in for a broker: it must see no connection.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connected = false;
  const accepting = listener.accept().then((conn) => {
    connected = true;
    conn.close();
  }, () => {/* closed below */});
  try {
    const { log, lines } = collectingLogger("debug");
    const kafka = createKafka({
      brokers: [`127.0.0.1:${(listener.addr as Deno.NetAddr).port}`],
      clientId: "offline",
    }, log);
    assert.ok(kafka instanceof Kafka);
    // Building clients is lazy too.
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: "g" });
    assert.equal(typeof admin.connect, "function");
    assert.equal(typeof producer.send, "function");
    assert.equal(typeof consumer.subscribe, "function");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connected, false);
    assert.deepEqual(lines.filter((l) => l.level === "error" || l.ns === "Connection"), []);
  } finally {
    listener.close();
    await accepting;
  }
});

Deno.test("createKafka accepts TLS and SASL settings without connecting", () => {
  const { log } = collectingLogger();
  const kafka = createKafka({
    brokers: ["127.0.0.1:1"],
    clientId: "secure",
    ssl: { ca: "CA", cert: "CERT", key: "KEY", rejectUnauthorized: true },
    sasl: { mechanism: "scram-sha-256", username: "u", password: "p" },
    connectionTimeoutMs: 100,
    requestTimeoutMs: 200,
  }, log);
  assert.ok(kafka instanceof Kafka);
  kafka.admin();
});

Deno.test("createKafka routes kafkajs log lines through our logger", () => {
  const { log, lines } = collectingLogger("info");
  const kafka = createKafka({ brokers: ["127.0.0.1:1"], clientId: "c" }, log);
  const kl = kafka.logger();
  kl.info("kafkajs chatter"); // below WARN: kafkajs drops it for an info logger
  kl.warn("careful", { broker: "b:1" });
  kl.error("broken", { topic: "t" });
  kl.namespace("Producer").error("retrying", { retryCount: 2 });
  kl.namespace("Connection").error("connection error");
  assert.deepEqual(lines.map(({ ts: _ts, ...rest }) => rest), [
    { level: "warn", logger: "kafka-test", msg: "careful", component: "kafkajs", broker: "b:1" },
    { level: "error", logger: "kafka-test", msg: "broken", component: "kafkajs", topic: "t" },
    {
      level: "warn",
      logger: "kafka-test",
      msg: "retrying",
      component: "kafkajs",
      ns: "Producer",
      retryCount: 2,
    },
    {
      level: "warn",
      logger: "kafka-test",
      msg: "connection error",
      component: "kafkajs",
      ns: "Connection",
    },
  ]);
});

Deno.test("createKafka with a debug logger passes kafkajs info and debug on at debug", () => {
  const { log, lines } = collectingLogger("debug");
  const kafka = createKafka({ brokers: ["127.0.0.1:1"], clientId: "c" }, log);
  kafka.logger().info("chatter");
  kafka.logger().debug("details");
  const ours = lines.filter((l) => l.component === "kafkajs");
  assert.deepEqual(ours.map((l) => [l.level, l.msg]), [["debug", "chatter"], ["debug", "details"]]);
});
