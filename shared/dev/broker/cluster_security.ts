/**
 * What a secured local cluster is made of besides its nodes: a local CA and
 * the brokers' certificate (./../security/certs.ts), a SCRAM-SHA-512
 * password for the administrator and for every principal, created when the
 * nodes' storage is formatted, and the client settings each of them needs:
 * environment variables for our scripts, a properties file for Kafka's own
 * Java tools.
 *
 * @example
 * ```ts
 * import { prepareClusterSecurity } from "./cluster_security.ts";
 * const security = await prepareClusterSecurity("/tmp/run/security", ["inventory-orders-producer"]);
 * console.log(security.clientEnv("inventory-orders-producer").KAFKA_SASL_USERNAME);
 * ```
 * @module
 */
import { join } from "node:path";
import { ensureCertificates } from "../certs.ts";
import type { NodeSecurity } from "./local_kafka.ts";

/** The principal that administers the cluster (topics, ACLs); no script runs as it. */
export const ADMIN_PRINCIPAL = "admin";
/** The brokers' and controllers' own principal, from their certificate's CN. */
export const BROKER_PRINCIPAL = "kafka-broker";
/** The only SASL mechanism the secured listener offers. */
export const SASL_MECHANISM = "SCRAM-SHA-512";

/** One principal's SCRAM credentials. */
export interface Credentials {
  username: string;
  password: string;
}

/** A secured cluster's files and credentials, as written by {@linkcode prepareClusterSecurity}. */
export interface ClusterSecurity {
  dir: string;
  /** PEM of the local CA: what clients trust. */
  caFile: string;
  /** The administrator, a super user. */
  admin: Credentials;
  /** Every other principal, by name. */
  users: Record<string, string>;
  /** JSON of all credentials (mode 600), for the demo, the tests and `deno task kafka`. */
  credentialsFile: string;
  /** Java client properties of the administrator, for Kafka's tools (`--command-config`). */
  adminPropertiesFile: string;
  /** Client certificate and key (PEM) the administrator presents when mutual TLS is on. */
  clientCert: { certFile: string; keyFile: string; bundleFile: string };
  /** Settings for each node's server.properties. */
  node: NodeSecurity;
  /** `kafka-storage format` arguments that create every SCRAM credential. */
  formatArgs(): string[];
  /** Environment for one of our scripts running as `principal` (KAFKA_SASL_*, KAFKA_SSL_*). */
  clientEnv(principal: string): Record<string, string>;
}

/** A random password: 24 base64url characters, safe inside SCRAM and JAAS syntax. Not pure. */
export function newPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/** `--add-scram` arguments for `kafka-storage format`, one per principal. Pure. */
export function scramFormatArgs(credentials: readonly Credentials[]): string[] {
  return credentials.flatMap((c) => [
    "--add-scram",
    `${SASL_MECHANISM}=[name=${c.username},password=${c.password}]`,
  ]);
}

/**
 * A value inside a JAAS quoted string, written into a .properties file:
 * JAAS wants `\\` and `\"` escaped, and the properties format then reads
 * every backslash as an escape too (and ends a value at a line break). Pure.
 */
export function jaasQuoted(value: string): string {
  const jaas = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  return jaas.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/**
 * Java client properties for SASL_SSL (SCRAM-SHA-512 unless `mechanism`
 * says otherwise; SSL alone without credentials), trusting `caFile`; with
 * `keystoreFile` the client also presents a certificate. Pure.
 */
export function javaClientProperties(options: {
  credentials?: Credentials;
  /** SCRAM-SHA-512 by default; PLAIN and SCRAM-SHA-256 too. */
  mechanism?: string;
  caFile?: string;
  keystoreFile?: string;
}): string {
  const mechanism = (options.mechanism ?? SASL_MECHANISM).toUpperCase();
  const module = mechanism === "PLAIN"
    ? "org.apache.kafka.common.security.plain.PlainLoginModule"
    : "org.apache.kafka.common.security.scram.ScramLoginModule";
  const sasl = options.credentials
    ? [
      `sasl.mechanism=${mechanism}`,
      `sasl.jaas.config=${module} required ` +
      `username="${jaasQuoted(options.credentials.username)}" ` +
      `password="${jaasQuoted(options.credentials.password)}";`,
    ]
    : [];
  return [
    `security.protocol=${options.credentials ? "SASL_SSL" : "SSL"}`,
    ...sasl,
    ...(options.caFile
      ? ["ssl.truststore.type=PEM", `ssl.truststore.location=${options.caFile}`]
      : []),
    ...(options.keystoreFile
      ? ["ssl.keystore.type=PEM", `ssl.keystore.location=${options.keystoreFile}`]
      : []),
    "",
  ].join("\n");
}

/** The environment our scripts read to connect as `credentials` (shared/kafka/connection.ts flags). Pure. */
export function scriptKafkaEnv(
  credentials: Credentials,
  caFile: string,
  clientCert?: { certFile: string; keyFile: string },
): Record<string, string> {
  return {
    KAFKA_SSL: "true",
    KAFKA_SSL_CA_FILE: caFile,
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: credentials.username,
    KAFKA_SASL_PASSWORD: credentials.password,
    ...(clientCert
      ? { KAFKA_SSL_CERT_FILE: clientCert.certFile, KAFKA_SSL_KEY_FILE: clientCert.keyFile }
      : {}),
  };
}

/**
 * Makes (or reuses) the CA, the brokers' certificate, a client certificate
 * and a password for the administrator and each of `principals`, in `dir`.
 */
export async function prepareClusterSecurity(
  dir: string,
  principals: readonly string[],
  options: { mutualTls?: boolean } = {},
): Promise<ClusterSecurity> {
  const { ca, certs } = await ensureCertificates(join(dir, "pki"), [BROKER_PRINCIPAL, "client"]);
  const credentialsFile = join(dir, "credentials.json");
  let saved: { admin: Credentials; users: Record<string, string> } | undefined;
  try {
    saved = JSON.parse(await Deno.readTextFile(credentialsFile));
  } catch { /* first time */ }
  const admin = saved?.admin ?? { username: ADMIN_PRINCIPAL, password: newPassword() };
  const users: Record<string, string> = { ...saved?.users };
  for (const p of principals) users[p] ??= newPassword();
  await Deno.writeTextFile(credentialsFile, JSON.stringify({ admin, users }, null, 2) + "\n", {
    mode: 0o600,
  });
  const clientCert = certs.client;
  const adminPropertiesFile = join(dir, "admin.properties");
  await Deno.writeTextFile(
    adminPropertiesFile,
    javaClientProperties({
      credentials: admin,
      caFile: ca.certFile,
      keystoreFile: options.mutualTls ? clientCert.bundleFile : undefined,
    }),
    { mode: 0o600 },
  );
  const all = [
    admin,
    ...Object.entries(users).map(([username, password]) => ({
      username,
      password,
    })),
  ];
  return {
    dir,
    caFile: ca.certFile,
    admin,
    users,
    credentialsFile,
    adminPropertiesFile,
    clientCert,
    node: {
      keystoreFile: certs[BROKER_PRINCIPAL].bundleFile,
      truststoreFile: ca.certFile,
      superUsers: [`User:${ADMIN_PRINCIPAL}`, `User:${BROKER_PRINCIPAL}`],
      mutualTls: options.mutualTls,
    },
    formatArgs: () => scramFormatArgs(all),
    clientEnv(principal) {
      const password = principal === ADMIN_PRINCIPAL ? admin.password : users[principal];
      if (password === undefined) {
        throw new Error(`no credentials for principal "${principal}" on this cluster`);
      }
      return scriptKafkaEnv(
        { username: principal, password },
        ca.certFile,
        options.mutualTls ? clientCert : undefined,
      );
    },
  };
}
