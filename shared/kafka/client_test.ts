import assert from "node:assert/strict";
import {
  clientOptions,
  createAdmin,
  createConsumer,
  createProducer,
  DEFAULT_RETRIES,
  javaCompatiblePartitioner,
  retryDelayMs,
} from "./client.ts";

Deno.test("a plain connection gives brokers and client id, no TLS and no SASL", () => {
  const options = clientOptions({ brokers: ["a:9092", "b:9092"], clientId: "c" });
  assert.deepEqual(options.bootstrapBrokers, ["a:9092", "b:9092"]);
  assert.equal(options.clientId, "c");
  assert.equal("tls" in options, false);
  assert.equal("sasl" in options, false);
});

Deno.test("--ssl alone is TLS with the system trust store; PEM files pass through", () => {
  assert.deepEqual(clientOptions({ brokers: ["a:1"], clientId: "c", ssl: true }).tls, {});
  const pem = { ca: "CA", cert: "CERT", key: "KEY" };
  assert.deepEqual(clientOptions({ brokers: ["a:1"], clientId: "c", ssl: pem }).tls, pem);
});

Deno.test("SASL mechanisms map onto the library's names", () => {
  const sasl = (mechanism: "plain" | "scram-sha-256" | "scram-sha-512") =>
    clientOptions({
      brokers: ["a:1"],
      clientId: "c",
      sasl: { mechanism, username: "u", password: "p" },
    }).sasl;
  assert.deepEqual(sasl("plain"), { mechanism: "PLAIN", username: "u", password: "p" });
  assert.equal(sasl("scram-sha-256")?.mechanism, "SCRAM-SHA-256");
  assert.equal(sasl("scram-sha-512")?.mechanism, "SCRAM-SHA-512");
});

Deno.test("timeouts and retries default, and a start-up check can shorten them", () => {
  const d = clientOptions({ brokers: ["a:1"], clientId: "c" });
  assert.deepEqual([d.connectTimeout, d.requestTimeout, d.retries], [3000, 30_000, 8]);
  const s = clientOptions({
    brokers: ["a:1"],
    clientId: "c",
    retries: 0,
    connectionTimeoutMs: 100,
    requestTimeoutMs: 200,
  });
  assert.deepEqual([s.connectTimeout, s.requestTimeout, s.retries], [100, 200, 0]);
});

Deno.test("retries back off from 250 ms to 4 s: the default eight span about 20 s", () => {
  const waits = Array.from({ length: DEFAULT_RETRIES }, (_, i) => retryDelayMs(i + 1));
  assert.deepEqual(waits, [250, 500, 1000, 2000, 4000, 4000, 4000, 4000]);
  assert.equal(waits.reduce((a, b) => a + b, 0), 19_750);
  // A start-up check's two retries stay under a second.
  assert.equal(retryDelayMs(1) + retryDelayMs(2), 750);
});

Deno.test("CONCURRENT_TRANSACTIONS is retried from 20 ms, as the library wraps it", () => {
  // The shape @platformatic/kafka passes: a response error holding one protocol error per partition.
  const concurrent = Object.assign(new Error("Received response with error while executing API"), {
    errors: [{ apiId: "CONCURRENT_TRANSACTIONS" }, { apiId: "CONCURRENT_TRANSACTIONS" }],
  });
  assert.deepEqual([1, 2, 3, 8].map((a) => retryDelayMs(a, concurrent)), [20, 40, 80, 2560]);
  const notLeader = Object.assign(new Error("x"), {
    errors: [{ apiId: "NOT_LEADER_OR_FOLLOWER" }],
  });
  assert.equal(retryDelayMs(1, notLeader), 250);
});

Deno.test("the clients are built without connecting", async () => {
  // A loopback listener stands in for a broker: it must see no connection.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connected = false;
  const accepting = listener.accept().then((conn) => {
    connected = true;
    conn.close();
  }, () => {/* closed below */});
  const conn = { brokers: [`127.0.0.1:${(listener.addr as Deno.NetAddr).port}`], clientId: "c" };
  try {
    const producer = createProducer(conn, { idempotent: true });
    const consumer = createConsumer(conn, { groupId: "g" });
    const admin = createAdmin(conn);
    await Promise.all([producer.close(), consumer.close(), admin.close()]);
    assert.equal(connected, false);
  } finally {
    listener.close();
    await accepting;
  }
});

Deno.test("keys land where Kafka's Java client puts them; records without a key spread", () => {
  const partitioner = javaCompatiblePartitioner();
  const place = (key?: string) =>
    partitioner({ topic: "t" }, key === undefined ? undefined : Buffer.from(key), {
      metadata: undefined,
    }) % 12;
  // Java: Utils.toPositive(Utils.murmur2(key)) % 12, computed with Kafka's own client.
  assert.deepEqual(["order-1", "order-2", "SKU-42"].map((k) => place(k)), [10, 3, 6]);
  const spread = new Set(Array.from({ length: 12 }, () => place()));
  assert.equal(spread.size, 12);
});
