/**
 * The registry server's security settings: basic auth users and a TLS
 * certificate, as flags (with environment variables) and their parse into
 * the `users` and `tls` options of `startRegistry`. Kept apart from
 * server.ts so the script catalog can list the variables without loading
 * the server.
 *
 * @example
 * ```ts
 * import { registrySecurityFrom } from "./security.ts";
 * const { users, tls } = registrySecurityFrom(
 *   { authUsers: "alice:s3cret", tlsCertFile: undefined, tlsKeyFile: undefined },
 * );
 * users?.length; // 1; tls is undefined: plain http
 * ```
 * @module
 */
import { ConfigError, type ConfigOf, type FlagSpecs } from "../platform/config.ts";
import { type BasicAuthUser, parseBasicAuthUsers } from "../platform/basic_auth.ts";

/** The server's security flags (basic auth, TLS); spread them into its config. */
export const registrySecurityFlags = {
  authUsers: {
    type: "string",
    env: "SCHEMA_REGISTRY_AUTH_USERS",
    secret: true,
    description: "basic auth: accepted user:password[,user2:password2]; unset = open",
  },
  tlsCertFile: {
    type: "string",
    env: "SCHEMA_REGISTRY_TLS_CERT_FILE",
    description: "serve https with this PEM certificate (chain); needs --tls-key-file",
  },
  tlsKeyFile: {
    type: "string",
    env: "SCHEMA_REGISTRY_TLS_KEY_FILE",
    description: "PEM private key of --tls-cert-file",
  },
} as const satisfies FlagSpecs;

/**
 * The `users` and `tls` options of `startRegistry` from parsed
 * {@linkcode registrySecurityFlags}; reads the PEM files. Throws a
 * {@linkcode ConfigError} naming the flag.
 */
export function registrySecurityFrom(
  cfg: ConfigOf<typeof registrySecurityFlags>,
  readFile: (path: string) => string = Deno.readTextFileSync,
): { users?: BasicAuthUser[]; tls?: { cert: string; key: string } } {
  let users: BasicAuthUser[] | undefined;
  if (cfg.authUsers !== undefined) {
    try {
      users = parseBasicAuthUsers(cfg.authUsers);
    } catch (err) {
      throw new ConfigError(
        "authUsers",
        `--auth-users (SCHEMA_REGISTRY_AUTH_USERS): ${(err as Error).message}`,
      );
    }
  }
  if (!cfg.tlsCertFile !== !cfg.tlsKeyFile) {
    throw new ConfigError(
      cfg.tlsCertFile ? "tlsKeyFile" : "tlsCertFile",
      "--tls-cert-file and --tls-key-file go together (SCHEMA_REGISTRY_TLS_CERT_FILE, SCHEMA_REGISTRY_TLS_KEY_FILE)",
    );
  }
  const file = (key: "tlsCertFile" | "tlsKeyFile", path: string) => {
    try {
      return readFile(path);
    } catch (err) {
      const flag = key === "tlsCertFile" ? "--tls-cert-file" : "--tls-key-file";
      throw new ConfigError(key, `${flag}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const tls = cfg.tlsCertFile && cfg.tlsKeyFile
    ? { cert: file("tlsCertFile", cfg.tlsCertFile), key: file("tlsKeyFile", cfg.tlsKeyFile) }
    : undefined;
  return { users, tls };
}
