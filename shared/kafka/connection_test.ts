import assert from "node:assert/strict";
import { ConfigError, flagName, helpText, parseConfig } from "../platform/config.ts";
import { kafkaConnectionFrom, kafkaFlags } from "./connection.ts";

/** The kafka flags parsed from arguments and an environment map, as a script would. */
function flags(args: string[] = [], env: Record<string, string> = {}) {
  return parseConfig(kafkaFlags, args, (name) => Object.hasOwn(env, name) ? env[name] : undefined);
}

const DEFAULTS = { clientId: "test-client" };

/** A readFile over an in-memory file system that records what it was asked. */
function fakeFs(files: Record<string, string>) {
  const read: string[] = [];
  const readFile = (path: string) => {
    read.push(path);
    if (!Object.hasOwn(files, path)) {
      throw new Deno.errors.NotFound(`No such file or directory (os error 2): ${path}`);
    }
    return files[path];
  };
  return { read, readFile };
}

/** A readFile that fails the test if anything is read. */
const noFiles = (path: string): string => assert.fail(`unexpected read of ${path}`);

/** The connection `args` and `env` configure, with no files to read. */
function connectionOf(args: string[] = [], env: Record<string, string> = {}) {
  return kafkaConnectionFrom(flags(args, env), DEFAULTS, noFiles);
}

/** The ConfigError that `args` and `env` give. */
function connectionError(args: string[] = [], env: Record<string, string> = {}): ConfigError {
  return configError(() => connectionOf(args, env));
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err;
  }
  assert.fail("expected a ConfigError, nothing was thrown");
}

// ---------------------------------------------------------------- brokers

Deno.test("kafkaConnectionFrom takes brokers from --brokers, comma-separated or repeated", () => {
  const conn = connectionOf(["--brokers", "a:9092,b:9093", "--brokers", "c:9094"]);
  assert.deepEqual(conn.brokers, ["a:9092", "b:9093", "c:9094"]);
});

Deno.test("kafkaConnectionFrom takes brokers from KAFKA_BROKERS", () => {
  const conn = connectionOf([], { KAFKA_BROKERS: "k1:9092, k2:9092" });
  assert.deepEqual(conn.brokers, ["k1:9092", "k2:9092"]);
});

Deno.test("kafkaConnectionFrom falls back to the default brokers", () => {
  const conn = kafkaConnectionFrom(
    flags(),
    { clientId: "c", brokers: ["127.0.0.1:9092"] },
    noFiles,
  );
  assert.deepEqual(conn.brokers, ["127.0.0.1:9092"]);
});

Deno.test("given brokers win over the default brokers", () => {
  const conn = kafkaConnectionFrom(
    flags(["--brokers", "remote:9092"]),
    { clientId: "c", brokers: ["127.0.0.1:9092"] },
    noFiles,
  );
  assert.deepEqual(conn.brokers, ["remote:9092"]);
});

Deno.test("kafkaConnectionFrom without any brokers names --brokers and KAFKA_BROKERS", () => {
  for (const cfg of [flags(), flags(["--brokers", ""]), flags([], { KAFKA_BROKERS: " , " })]) {
    const err = configError(() => kafkaConnectionFrom(cfg, DEFAULTS, noFiles));
    assert.equal(err.flag, "brokers");
    assert.equal(err.message, "--brokers (or KAFKA_BROKERS) is required");
  }
  const empty = configError(() =>
    kafkaConnectionFrom(flags(), { clientId: "c", brokers: [] }, noFiles)
  );
  assert.equal(empty.flag, "brokers");
});

Deno.test("kafkaConnectionFrom accepts host:port brokers", () => {
  const good = [
    "localhost:9092",
    "127.0.0.1:1",
    "kafka-0.kafka.svc.cluster.local:19092",
    "broker_1:65535",
    "[::1]:9092",
  ];
  const conn = connectionOf(["--brokers", good.join(",")]);
  assert.deepEqual(conn.brokers, good);
});

Deno.test("kafkaConnectionFrom rejects a broker that is not host:port, naming it", () => {
  for (
    const bad of [
      "localhost",
      "localhost:",
      ":9092",
      "host:port",
      "host:9092:1",
      "host:123456",
      "host:0",
      "host:99999",
    ]
  ) {
    const err = connectionError(["--brokers", `ok:9092,${bad}`]);
    assert.equal(err.flag, "brokers", bad);
    assert.equal(err.message, `--brokers: "${bad}" is not host:port (port 1-65535)`);
  }
});

Deno.test("kafkaConnectionFrom validates the default brokers too", () => {
  const err = configError(() =>
    kafkaConnectionFrom(flags(), { clientId: "c", brokers: ["nohost"] }, noFiles)
  );
  assert.equal(err.flag, "brokers");
  assert.match(err.message, /"nohost" is not host:port/);
});

// ---------------------------------------------------------------- client id

Deno.test("kafkaConnectionFrom: --client-id or KAFKA_CLIENT_ID, else the default", () => {
  const brokers = ["--brokers", "b:9092"];
  assert.equal(connectionOf(brokers).clientId, "test-client");
  assert.equal(
    connectionOf([...brokers, "--client-id", "mine"]).clientId,
    "mine",
  );
  assert.equal(
    connectionOf(brokers, { KAFKA_CLIENT_ID: "env" }).clientId,
    "env",
  );
});

Deno.test("a plain connection has no TLS and no SASL", () => {
  const conn = connectionOf(["--brokers", "b:9092"]);
  assert.deepEqual(conn, {
    brokers: ["b:9092"],
    clientId: "test-client",
    ssl: undefined,
    sasl: undefined,
  });
});

// ---------------------------------------------------------------- TLS

Deno.test("--ssl alone turns TLS on with the system trust store (ssl: true)", () => {
  const conn = connectionOf(["--brokers", "b:9093", "--ssl"]);
  assert.equal(conn.ssl, true);
  const fromEnv = connectionOf(["--brokers", "b:9093"], { KAFKA_SSL: "true" });
  assert.equal(fromEnv.ssl, true);
});

Deno.test("--no-ssl or KAFKA_SSL=0 leaves TLS off", () => {
  assert.equal(
    connectionOf(["--brokers", "b:1", "--no-ssl"]).ssl,
    undefined,
  );
  assert.equal(
    connectionOf(["--brokers", "b:1"], { KAFKA_SSL: "0" }).ssl,
    undefined,
  );
});

Deno.test("TLS files are read through readFile and passed as PEM text", () => {
  const fs = fakeFs({ "/tls/ca.pem": "CA PEM", "/tls/c.pem": "CERT PEM", "/tls/k.pem": "KEY PEM" });
  const conn = kafkaConnectionFrom(
    flags([
      "--brokers",
      "b:9093",
      "--ssl-ca-file",
      "/tls/ca.pem",
      "--ssl-cert-file",
      "/tls/c.pem",
      "--ssl-key-file",
      "/tls/k.pem",
    ]),
    DEFAULTS,
    fs.readFile,
  );
  assert.deepEqual(conn.ssl, { ca: "CA PEM", cert: "CERT PEM", key: "KEY PEM" });
  assert.deepEqual(fs.read, ["/tls/ca.pem", "/tls/c.pem", "/tls/k.pem"]);
});

Deno.test("a CA file alone turns TLS on, even without --ssl, and reads only that file", () => {
  const fs = fakeFs({ "/ca.pem": "CA" });
  const conn = kafkaConnectionFrom(
    flags(["--brokers", "b:9093"], { KAFKA_SSL_CA_FILE: "/ca.pem" }),
    DEFAULTS,
    fs.readFile,
  );
  assert.deepEqual(conn.ssl, { ca: "CA", cert: undefined, key: undefined });
  assert.deepEqual(fs.read, ["/ca.pem"]);
});

Deno.test("an unreadable TLS file is a ConfigError naming its flag and path", () => {
  const cases = [
    ["--ssl-ca-file", "sslCaFile"],
    ["--ssl-cert-file", "sslCertFile"],
    ["--ssl-key-file", "sslKeyFile"],
  ] as const;
  for (const [flag, key] of cases) {
    const fs = fakeFs({ "/present.pem": "PEM" });
    // A certificate and its key go together; the other one of the pair exists.
    const partner = key === "sslCertFile"
      ? ["--ssl-key-file", "/present.pem"]
      : key === "sslKeyFile"
      ? ["--ssl-cert-file", "/present.pem"]
      : [];
    const err = configError(() =>
      kafkaConnectionFrom(
        flags(["--brokers", "b:9093", flag, "/missing.pem", ...partner]),
        DEFAULTS,
        fs.readFile,
      )
    );
    assert.equal(err.flag, key);
    assert.match(err.message, new RegExp(`^${flag}: cannot read /missing\\.pem: No such file`));
  }
});

Deno.test("the real default readFile reports a missing TLS file by its flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = `${dir}/nope.pem`;
    const err = configError(() =>
      kafkaConnectionFrom(flags(["--brokers", "b:1", "--ssl-ca-file", missing]), DEFAULTS)
    );
    assert.equal(err.flag, "sslCaFile");
    assert.ok(err.message.startsWith(`--ssl-ca-file: cannot read ${missing}: `), err.message);
    await Deno.writeTextFile(missing, "REAL CA");
    const conn = kafkaConnectionFrom(
      flags(["--brokers", "b:1", "--ssl-ca-file", missing]),
      DEFAULTS,
    );
    assert.deepEqual(conn.ssl, { ca: "REAL CA", cert: undefined, key: undefined });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- SASL

Deno.test("SASL with mechanism, username and password", () => {
  for (const mechanism of ["plain", "scram-sha-256", "scram-sha-512"] as const) {
    const conn = connectionOf([
      "--brokers",
      "b:9094",
      "--sasl-mechanism",
      mechanism,
      "--sasl-username",
      "u",
    ], {
      KAFKA_SASL_PASSWORD: "p",
    });
    assert.deepEqual(conn.sasl, { mechanism, username: "u", password: "p" });
  }
});

Deno.test("SASL without a username is a ConfigError naming the missing flags", () => {
  const err = connectionError([
    "--brokers",
    "b:9094",
    "--sasl-mechanism",
    "plain",
    "--sasl-password",
    "p",
  ]);
  assert.equal(err.flag, "saslUsername");
  assert.match(err.message, /--sasl-mechanism needs --sasl-username and --sasl-password/);
  assert.match(err.message, /KAFKA_SASL_USERNAME/);
});

Deno.test("SASL without a password is a ConfigError naming --sasl-password", () => {
  const err = connectionError(["--brokers", "b:9094", "--sasl-username", "u"], {
    KAFKA_SASL_MECHANISM: "scram-sha-256",
  });
  assert.match(err.message, /--sasl-password/);
  assert.match(err.message, /KAFKA_SASL_PASSWORD/);
});

Deno.test("an unknown SASL mechanism is rejected by the flag parser", () => {
  const err = configError(() => flags([], { KAFKA_SASL_MECHANISM: "gssapi" }));
  assert.equal(err.flag, "saslMechanism");
  assert.match(err.message, /^KAFKA_SASL_MECHANISM \(--sasl-mechanism\) must be one of plain/);
});

Deno.test("SASL and TLS combine", () => {
  const conn = connectionOf([
    "--brokers",
    "b:9096",
    "--ssl",
    "--sasl-mechanism",
    "scram-sha-512",
    "--sasl-username",
    "u",
    "--sasl-password",
    "p",
  ]);
  assert.equal(conn.ssl, true);
  assert.deepEqual(conn.sasl, { mechanism: "scram-sha-512", username: "u", password: "p" });
});

Deno.test("every kafka flag has a KAFKA_ env var and shows in help", () => {
  const help = helpText({ name: "x", summary: "s" }, kafkaFlags);
  for (const [key, spec] of Object.entries(kafkaFlags)) {
    assert.match(spec.env, /^KAFKA_[A-Z_]+$/, key);
    const line = help.split("\n").find((l) => l.startsWith(`  --${flagName(key)} `));
    assert.ok(line?.endsWith(`env ${spec.env}`), `${key}: ${line}`);
  }
  assert.equal(kafkaFlags.saslPassword.secret, true);
});

// ---------------------------------------------------------------- createKafka

Deno.test("SASL credentials without a mechanism are an error, not ignored", () => {
  const err = connectionError([
    "--brokers",
    "b:9092",
    "--sasl-username",
    "u",
    "--sasl-password",
    "p",
  ]);
  assert.equal(err.flag, "saslMechanism");
});

Deno.test("a client certificate without its key is an error naming the missing flag", () => {
  const err = connectionError(["--brokers", "b:9092", "--ssl-cert-file", "c.pem"]);
  assert.equal(err.flag, "sslKeyFile");
});
