import assert from "node:assert/strict";
import {
  authorizationType,
  describeConnectFailure,
  describeKafkaError,
  isFatalKafkaError,
  looksLikePlaintextOnTls,
} from "./errors.ts";

const ctx = {
  brokers: ["127.0.0.1:9093"],
  ssl: true,
  sasl: { mechanism: "scram-sha-512", username: "inventory_orders_producer" },
};
const named = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...extra });

Deno.test("a refused SCRAM login names the user and the mechanism", () => {
  const err = named(
    "KafkaJSSASLAuthenticationError",
    "SASL SCRAM SHA512 authentication failed: invalid credentials",
  );
  assert.ok(isFatalKafkaError(err));
  assert.match(
    describeKafkaError(err, ctx),
    /refused the SASL login of "inventory_orders_producer" \(SCRAM-SHA-512\): check KAFKA_SASL_USERNAME/,
  );
});

Deno.test("TLS: an unknown CA, a wrong host name and an expired certificate each name their own fix", () => {
  const wrap = (message: string) =>
    named("KafkaJSNumberOfRetriesExceeded", "retries", { cause: new Error(message) });
  assert.match(
    describeKafkaError(wrap("self-signed certificate in certificate chain"), ctx),
    /not trusted: set KAFKA_SSL_CA_FILE/,
  );
  assert.match(
    describeKafkaError(wrap("Hostname/IP does not match certificate's altnames"), ctx),
    /does not name the host/,
  );
  assert.match(describeKafkaError(wrap("certificate has expired"), ctx), /has expired/);
  // Not a certificate's: a transaction the coordinator timed out is retried, not fatal.
  assert.equal(isFatalKafkaError(new Error("The producer's transaction has expired")), false);
});

Deno.test("a missing ACL inside an aggregate error is found, and the denied resource named", () => {
  const err = named("KafkaJSAggregateError", "Topic creation errors", {
    errors: [
      named("KafkaJSProtocolError", "Not authorized", { type: "TOPIC_AUTHORIZATION_FAILED" }),
    ],
  });
  assert.equal(authorizationType(err), "TOPIC_AUTHORIZATION_FAILED");
  assert.match(
    describeKafkaError(err, ctx, { operation: "Write", resource: "topic inventory_orders" }),
    /denied User:inventory_orders_producer Write on topic inventory_orders \(TOPIC_AUTHORIZATION_FAILED\)/,
  );
});

Deno.test("a closed connection without TLS hints at TLS; nothing listening does not", () => {
  const plain = { brokers: ["127.0.0.1:9093"] };
  const closed = named("KafkaJSNumberOfRetriesExceeded", "Closed connection");
  assert.ok(looksLikePlaintextOnTls(closed, plain));
  assert.match(describeConnectFailure(closed, plain), /set KAFKA_SSL=true/);
  const refused = named(
    "KafkaJSConnectionError",
    "Connection error: connect ECONNREFUSED 127.0.0.1:9093",
  );
  assert.ok(!looksLikePlaintextOnTls(refused, plain));
  assert.ok(!looksLikePlaintextOnTls(closed, ctx), "a TLS client is not told to use TLS");
  assert.ok(!isFatalKafkaError(refused), "an unreachable broker is retried, not fatal");
});

Deno.test("@platformatic/kafka's own word for a TLS listener hints at TLS too", () => {
  const plain = { brokers: ["127.0.0.1:9093"] };
  const err = Object.assign(new AggregateError([new Error("Broker requires TLS.")]), {
    message: "Listing topics failed.",
  });
  assert.ok(looksLikePlaintextOnTls(err, plain));
  assert.match(
    describeConnectFailure(err, plain),
    /connection closed without an answer.*KAFKA_SSL=true/,
  );
});
