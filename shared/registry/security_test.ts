import assert from "node:assert/strict";
import { ConfigError } from "../platform/config.ts";
import { basicAuthHeader, isAuthorized } from "../platform/basic_auth.ts";
import { registrySecurityFrom } from "./security.ts";

const files: Record<string, string> = { "/c.pem": "CERT", "/k.pem": "KEY" };
const read = (path: string) => {
  if (!(path in files)) throw new Error("not found");
  return files[path];
};
const none = { authUsers: undefined, tlsCertFile: undefined, tlsKeyFile: undefined };

Deno.test("no flags: open, plain http", () => {
  assert.deepEqual(registrySecurityFrom(none, read), { users: undefined, tls: undefined });
});

Deno.test("users and TLS files", () => {
  const { users, tls } = registrySecurityFrom(
    { authUsers: "a:1,b:2", tlsCertFile: "/c.pem", tlsKeyFile: "/k.pem" },
    read,
  );
  assert.ok(isAuthorized(users!, basicAuthHeader("b", "2")));
  assert.deepEqual(tls, { cert: "CERT", key: "KEY" });
});

Deno.test("bad settings name their flag", () => {
  const flagOf = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.flag;
    }
  };
  assert.equal(
    flagOf(() => registrySecurityFrom({ ...none, authUsers: "nopass" }, read)),
    "authUsers",
  );
  assert.equal(
    flagOf(() => registrySecurityFrom({ ...none, tlsCertFile: "/c.pem" }, read)),
    "tlsKeyFile",
  );
  assert.equal(
    flagOf(() => registrySecurityFrom({ ...none, tlsCertFile: "/x", tlsKeyFile: "/k.pem" }, read)),
    "tlsCertFile",
  );
});
