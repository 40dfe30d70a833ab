import assert from "node:assert/strict";
import { type DemoSecurity, httpSurfaceEnv, registryClientEnv } from "./demo_security.ts";

const SECURITY: DemoSecurity = {
  caFile: "/pki/ca.pem",
  credentialsFile: "/demo/credentials.json",
  http: { username: "demo", password: "h-secret" },
  registry: { username: "demo-scripts", password: "r-secret" },
  tls: { certFile: "/pki/demo-https.pem", keyFile: "/pki/demo-https.key" },
};

Deno.test("with --secure an HTTP surface gets its login and certificate under its prefix", () => {
  assert.deepEqual(httpSurfaceEnv("GATEWAY", SECURITY), {
    GATEWAY_BASIC_AUTH: "demo:h-secret",
    GATEWAY_TLS_CERT_FILE: "/pki/demo-https.pem",
    GATEWAY_TLS_KEY_FILE: "/pki/demo-https.key",
  });
  assert.deepEqual(httpSurfaceEnv("GATEWAY", undefined), {}, "plain HTTP without --secure");
});

Deno.test("with --secure a registry client gets the registry's login and the CA", () => {
  assert.deepEqual(registryClientEnv(SECURITY), {
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: "demo-scripts:r-secret",
    SCHEMA_REGISTRY_SSL_CA_FILE: "/pki/ca.pem",
  });
  assert.deepEqual(registryClientEnv(undefined), {});
});
