import assert from "node:assert/strict";
import {
  jaasQuoted,
  javaClientProperties,
  scramFormatArgs,
  scriptKafkaEnv,
} from "./cluster_security.ts";

Deno.test("jaasQuoted escapes for JAAS, then for the properties format", () => {
  // a"b\c<newline>d: JAAS needs a\"b\\c, the properties file doubles each backslash again.
  assert.equal(jaasQuoted('a"b\\c\nd'), 'a\\\\"b\\\\\\\\c\\nd');
  assert.equal(jaasQuoted("plain-Pass_123"), "plain-Pass_123");
});

Deno.test("javaClientProperties: SASL_SSL with SCRAM-SHA-512 and a PEM truststore; SSL alone without a login", () => {
  const text = javaClientProperties({
    credentials: { username: "verify", password: "p" },
    caFile: "/pki/ca.pem",
  });
  assert.match(text, /^security\.protocol=SASL_SSL$/m);
  assert.match(text, /^sasl\.mechanism=SCRAM-SHA-512$/m);
  assert.match(text, /ScramLoginModule required username="verify" password="p";$/m);
  assert.match(text, /^ssl\.truststore\.type=PEM$/m);
  assert.match(text, /^ssl\.truststore\.location=\/pki\/ca\.pem$/m);
  assert.match(javaClientProperties({ caFile: "/ca" }), /^security\.protocol=SSL$/m);
  assert.match(
    javaClientProperties({ credentials: { username: "u", password: "p" }, mechanism: "plain" }),
    /PlainLoginModule/,
  );
});

Deno.test("scramFormatArgs and scriptKafkaEnv: one --add-scram per principal, the env our scripts read", () => {
  assert.deepEqual(scramFormatArgs([{ username: "a", password: "x" }]), [
    "--add-scram",
    "SCRAM-SHA-512=[name=a,password=x]",
  ]);
  const env = scriptKafkaEnv({ username: "a", password: "x" }, "/ca.pem");
  assert.equal(env.KAFKA_SASL_MECHANISM, "scram-sha-512");
  assert.equal(env.KAFKA_SSL_CA_FILE, "/ca.pem");
  assert.equal(env.KAFKA_SSL_CERT_FILE, undefined);
});
