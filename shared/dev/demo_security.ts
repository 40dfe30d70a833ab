/**
 * The demo's `--secure` side beyond Kafka: the logins and the certificate
 * of the schema registry and the HTTP surfaces (gateway, order status,
 * dashboard), and the env each script gets from them. Every certificate
 * comes from the local cluster's CA, so that one CA file is trusted
 * everywhere. Without `--secure` (security undefined) every env is empty.
 *
 * @example
 * ```ts
 * import { httpSurfaceEnv, registryClientEnv } from "./demo_security.ts";
 * httpSurfaceEnv("GATEWAY", undefined); // {}: no --secure, plain HTTP without a login
 * registryClientEnv(undefined); // {}
 * ```
 * @module
 */
import { join } from "node:path";
import type { LocalKafka } from "./broker/local_kafka.ts";
import { newPassword } from "./broker/cluster_security.ts";
import { ensureCertificateAuthority, issueCertificate } from "./certs.ts";
import { type BasicAuthUser, basicAuthUser } from "../platform/basic_auth.ts";

/** With --secure: the logins and the certificate of the registry and the HTTP surfaces. */
export interface DemoSecurity {
  caFile: string;
  /** JSON (mode 600) with every login below and where Kafka's credentials are. */
  credentialsFile: string;
  /** The gateway's, status service's and dashboard's basic auth. */
  http: { username: string; password: string };
  /** The registry's basic auth, given to every registry client. */
  registry: { username: string; password: string };
  /** The certificate (127.0.0.1, localhost) the registry and the HTTP surfaces serve. */
  tls: { certFile: string; keyFile: string };
}

/**
 * Generates the passwords and issues the certificate from the cluster's CA
 * (its `pki` folder), so that one CA file is trusted everywhere.
 */
export async function prepareDemoSecurity(
  cluster: LocalKafka,
  dir: string,
): Promise<DemoSecurity> {
  const security = cluster.security!;
  const ca = await ensureCertificateAuthority(join(security.dir, "pki"));
  const cert = await issueCertificate(ca, {
    name: "demo-https",
    hosts: ["127.0.0.1", "localhost"],
  });
  const http = { username: "demo", password: newPassword() };
  const registry = { username: "demo-scripts", password: newPassword() };
  const credentialsFile = join(dir, "credentials.json");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(credentialsFile).catch(() => {});
  await Deno.writeTextFile(
    credentialsFile,
    JSON.stringify(
      { http, registry, caFile: ca.certFile, kafkaCredentialsFile: security.credentialsFile },
      null,
      2,
    ) + "\n",
    { mode: 0o600 },
  );
  return {
    caFile: ca.certFile,
    credentialsFile,
    http,
    registry,
    tls: { certFile: cert.certFile, keyFile: cert.keyFile },
  };
}

/** The env of an HTTP surface (shared/platform/http_guard.ts flags) for basic auth and TLS. Pure. */
export function httpSurfaceEnv(
  prefix: string,
  security: DemoSecurity | undefined,
): Record<string, string> {
  if (!security) return {};
  return {
    [`${prefix}_BASIC_AUTH`]: `${security.http.username}:${security.http.password}`,
    [`${prefix}_TLS_CERT_FILE`]: security.tls.certFile,
    [`${prefix}_TLS_KEY_FILE`]: security.tls.keyFile,
  };
}

/** The env of a registry client (shared/kafka/registry_connection.ts). Pure. */
export function registryClientEnv(security: DemoSecurity | undefined): Record<string, string> {
  if (!security) return {};
  return {
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO:
      `${security.registry.username}:${security.registry.password}`,
    SCHEMA_REGISTRY_SSL_CA_FILE: security.caFile,
  };
}

/** The embedded registry's basic auth users and TLS certificate; none without --secure. */
export async function registryServerSecurity(security: DemoSecurity | undefined): Promise<{
  users?: BasicAuthUser[];
  tls?: { cert: string; key: string };
}> {
  return {
    users: security
      ? [basicAuthUser(security.registry.username, security.registry.password)]
      : undefined,
    tls: security
      ? {
        cert: await Deno.readTextFile(security.tls.certFile),
        key: await Deno.readTextFile(security.tls.keyFile),
      }
      : undefined,
  };
}
