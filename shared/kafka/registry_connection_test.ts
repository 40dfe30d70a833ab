import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import {
  describeRegistryFailure,
  registryConnectionFrom,
  type RegistryFlagValues,
} from "./registry_connection.ts";

const noFile = (path: string): string => {
  throw new Error(`no such file ${path}`);
};
const from = (cfg: Partial<RegistryFlagValues>, readFile = noFile) =>
  registryConnectionFrom({ registryUrl: "http://127.0.0.1:8081", ...cfg }, readFile);

/** Runs `f`, expecting a ConfigError for `flag`; returns its message. */
function configError(flag: string, f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${err}`);
    assert.equal(err.flag, flag);
    return err.message;
  }
  assert.fail("no error thrown");
}

Deno.test("a plain URL: no credentials, no CA", () => {
  assert.deepEqual(from({}), { url: "http://127.0.0.1:8081", auth: undefined, ca: undefined });
  assert.equal(from({ registryUrl: "https://registry:8081/" }).url, "https://registry:8081");
});

Deno.test("user info: user:password, split at the first colon", () => {
  assert.deepEqual(from({ registryBasicAuthUserInfo: "alice:pa:ss" }).auth, {
    username: "alice",
    password: "pa:ss",
  });
  for (const bad of ["alice", ":secret", "alice:", ""]) {
    const msg = configError(
      "registryBasicAuthUserInfo",
      () => from({ registryBasicAuthUserInfo: bad }),
    );
    assert.match(msg, /SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO\) must be user:password/);
    if (bad.includes(":") && bad.length > 1) assert.ok(!msg.includes("secret"));
  }
});

Deno.test("credentials in the URL are taken out of it, percent-decoded", () => {
  const conn = from({ registryUrl: "https://al%40ce:p%3Ass%2Fw@127.0.0.1:8443" });
  assert.equal(conn.url, "https://127.0.0.1:8443");
  assert.deepEqual(conn.auth, { username: "al@ce", password: "p:ss/w" });
  const msg = configError("registryUrl", () => from({ registryUrl: "https://alice@host:1" }));
  assert.match(msg, /user:password@/);
});

Deno.test("user info wins over the URL's credentials", () => {
  const conn = from({
    registryUrl: "https://url-user:url-pass@host:8081",
    registryBasicAuthUserInfo: "info-user:info-pass",
  });
  assert.equal(conn.url, "https://host:8081");
  assert.deepEqual(conn.auth, { username: "info-user", password: "info-pass" });
});

Deno.test("a bad URL is named, without its password", () => {
  const msg = configError("registryUrl", () => from({ registryUrl: "ftp://u:hidden@host:1" }));
  assert.match(msg, /SCHEMA_REGISTRY_URL\).*must start with http/);
  assert.ok(!msg.includes("hidden"));
  configError("registryUrl", () => from({ registryUrl: "127.0.0.1:8081" }));
});

Deno.test("the CA file is read, or its flag named", () => {
  assert.equal(from({ registryCaFile: "/ca.pem" }, () => "PEM").ca, "PEM");
  const msg = configError("registryCaFile", () => from({ registryCaFile: "/missing.pem" }));
  assert.match(
    msg,
    /--registry-ca-file \(SCHEMA_REGISTRY_SSL_CA_FILE\): cannot read \/missing\.pem/,
  );
});

Deno.test("failures are worded by what to fix", () => {
  const conn = { url: "https://127.0.0.1:8081" };
  const status = (n: number) => Object.assign(new Error("Unauthorized"), { status: n });
  assert.deepEqual(describeRegistryFailure(conn, status(401)), {
    kind: "credentials",
    message: "schema registry https://127.0.0.1:8081 refused the credentials (401): none were " +
      "given; set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password",
  });
  assert.match(
    describeRegistryFailure({ ...conn, auth: { username: "bob", password: "x" } }, status(401))!
      .message,
    /refused the credentials of user "bob" \(401\): check SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO/,
  );
  const tlsFailures = [
    [
      "Confluent_Schema_Registry - Error, status 400: unable to verify the first certificate",
      /not trusted .*set SCHEMA_REGISTRY_SSL_CA_FILE/,
    ],
    [
      'Error, status 400: Requires sys access to "ca", run again with the --allow-sys flag',
      /no CA .*set SCHEMA_REGISTRY_SSL_CA_FILE/,
    ],
  ] as const;
  for (const [error, advice] of tlsFailures) {
    const tls = describeRegistryFailure(conn, new Error(error))!;
    assert.equal(tls.kind, "tls");
    assert.match(tls.message, advice);
  }
  assert.equal(
    describeRegistryFailure(conn, new Error("connect ECONNREFUSED"))!.kind,
    "unreachable",
  );
  assert.equal(describeRegistryFailure(conn, status(409)), undefined);
});
