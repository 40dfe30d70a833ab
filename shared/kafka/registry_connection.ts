/**
 * How every client script reaches the schema registry, with Confluent's
 * conventions: the URL (`SCHEMA_REGISTRY_URL`, credentials may ride in it
 * as `https://user:password@host:port`), basic auth user info
 * (`SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password`, which wins over
 * the URL's) and a CA file to trust (`SCHEMA_REGISTRY_SSL_CA_FILE`). Spread
 * {@linkcode registryFlags} into a script's flags (like `kafkaFlags`), turn
 * them into a {@linkcode RegistryConnection} with
 * {@linkcode registryConnectionFrom}, and hand that to `registryClient` in
 * avro_codec.ts. {@linkcode describeRegistryFailure} turns a client error
 * into the one line a script ends with. All pure, but the CA file read.
 *
 * @example
 * ```ts
 * import { registryConnectionFrom } from "./registry_connection.ts";
 * const conn = registryConnectionFrom({
 *   registryUrl: "https://alice:s3cret@127.0.0.1:8081",
 *   registryBasicAuthUserInfo: undefined,
 *   registryCaFile: undefined,
 * });
 * conn.url; // "https://127.0.0.1:8081" (no password in logs)
 * conn.auth; // { username: "alice", password: "s3cret" }
 * ```
 * @module
 */
import { ConfigError, type FlagSpecs } from "../platform/config.ts";

/** Where a client finds the registry, and how it proves who it is. */
export interface RegistryConnection {
  /** The base URL without credentials, e.g. `https://127.0.0.1:8081`: safe to log. */
  url: string;
  /** Basic auth credentials, from the user info setting or the URL. */
  auth?: { username: string; password: string };
  /** PEM text of the CAs to trust for https (instead of the system's, as in Node). */
  ca?: string;
}

/** Confluent's port on this machine: the embedded registry's default. */
export const DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081";

const registryUrl = {
  type: "string",
  env: "SCHEMA_REGISTRY_URL",
  description: "schema registry (Confluent REST API); https://user:password@host:port works too",
} as const;

const registryAuthFlags = {
  registryBasicAuthUserInfo: {
    type: "string",
    env: "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
    secret: true,
    description: "registry basic auth as user:password (wins over credentials in the URL)",
  },
  registryCaFile: {
    type: "string",
    env: "SCHEMA_REGISTRY_SSL_CA_FILE",
    description: "PEM file of CAs to trust for an https registry",
  },
} as const;

/** The registry flags of a script that needs the registry; defaults to {@linkcode DEFAULT_REGISTRY_URL}. */
export const registryFlags = {
  registryUrl: { ...registryUrl, default: DEFAULT_REGISTRY_URL },
  ...registryAuthFlags,
} as const satisfies FlagSpecs;

/** The same flags for a script that uses the registry only when its URL is given. */
export const optionalRegistryFlags = {
  registryUrl,
  ...registryAuthFlags,
} as const satisfies FlagSpecs;

/** Every environment variable the registry flags read (for the permission lists). */
export const REGISTRY_ENV = Object.values(registryFlags).map((flag) => flag.env);

/** The parsed registry flags, whichever of the two sets they come from. */
export interface RegistryFlagValues {
  registryUrl: string;
  registryBasicAuthUserInfo?: string;
  registryCaFile?: string;
}

const USER_INFO = "--registry-basic-auth-user-info (SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO)";
const URL_FLAG = "--registry-url (SCHEMA_REGISTRY_URL)";

/** The URL with any password replaced, for messages. */
function redacted(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, (_m, info: string) => `//${info.split(":")[0]}:***@`);
}

/** `user:password` split at the first colon; both parts must be non-empty. */
function splitUserInfo(text: string): { username: string; password: string } | undefined {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Turns parsed registry flags into a {@linkcode RegistryConnection}: the
 * URL's credentials are taken out of it (percent-decoded), the user info
 * setting wins over them, the CA file is read. Throws a
 * {@linkcode ConfigError} naming the flag; no message shows a password.
 */
export function registryConnectionFrom(
  cfg: RegistryFlagValues,
  readFile: (path: string) => string = Deno.readTextFileSync,
): RegistryConnection {
  let url: URL;
  try {
    url = new URL(cfg.registryUrl);
  } catch {
    throw new ConfigError(
      "registryUrl",
      `${URL_FLAG}: "${
        redacted(cfg.registryUrl)
      }" is not a URL (http://host:port or https://host:port)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(
      "registryUrl",
      `${URL_FLAG}: "${redacted(cfg.registryUrl)}" must start with http:// or https://`,
    );
  }
  let auth: RegistryConnection["auth"];
  if (url.username || url.password) {
    let info: string;
    try {
      info = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw new ConfigError(
        "registryUrl",
        `${URL_FLAG}: bad percent-encoding in its user:password`,
      );
    }
    auth = splitUserInfo(info);
    if (!auth) {
      throw new ConfigError(
        "registryUrl",
        `${URL_FLAG}: credentials in the URL must be user:password@ (both non-empty)`,
      );
    }
    url.username = "";
    url.password = "";
  }
  if (cfg.registryBasicAuthUserInfo !== undefined) {
    auth = splitUserInfo(cfg.registryBasicAuthUserInfo);
    if (!auth) {
      throw new ConfigError(
        "registryBasicAuthUserInfo",
        `${USER_INFO} must be user:password (both non-empty, split at the first colon)`,
      );
    }
  }
  let ca: string | undefined;
  if (cfg.registryCaFile) {
    try {
      ca = readFile(cfg.registryCaFile);
    } catch (err) {
      throw new ConfigError(
        "registryCaFile",
        `--registry-ca-file (SCHEMA_REGISTRY_SSL_CA_FILE): cannot read ${cfg.registryCaFile}: ${
          (err as Error).message
        }`,
      );
    }
  }
  // URL keeps a trailing "/" on a bare origin; the clients join paths to it.
  return { url: url.href.replace(/\/$/, ""), auth, ca };
}

/**
 * Why a registry request failed, when it is the connection's fault: the
 * credentials (401/403), TLS (an untrusted certificate, http against
 * https), or the registry not reachable. Anything else (a refused schema,
 * say) the caller words itself.
 */
export type RegistryFailureKind = "credentials" | "tls" | "unreachable";

/**
 * The one line a script ends with when a registry request failed for a
 * {@linkcode RegistryFailureKind}, naming the setting to fix; `undefined`
 * for any other failure.
 */
export function describeRegistryFailure(
  conn: Pick<RegistryConnection, "url" | "auth">,
  err: unknown,
): { kind: RegistryFailureKind; message: string } | undefined {
  const said = (kind: RegistryFailureKind, message: string) => ({ kind, message });
  const e = err as { status?: number; message?: string; code?: string };
  const msg = `${e?.code ?? ""} ${e?.message ?? String(err)}`;
  const where = `schema registry ${conn.url}`;
  if (e?.status === 401 || e?.status === 403) {
    return said(
      "credentials",
      conn.auth
        ? `${where} refused the credentials of user "${conn.auth.username}" (${e.status}): ` +
          "check SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password"
        : `${where} refused the credentials (${e.status}): none were given; ` +
          "set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password",
    );
  }
  // Deno's node:tls reads the system's CAs only with --allow-sys, which the
  // scripts do not have: for https they trust the CA file they are given.
  if (/Requires sys access to "ca"/.test(msg)) {
    return said(
      "tls",
      `${where}: no CA to check its TLS certificate against: set SCHEMA_REGISTRY_SSL_CA_FILE ` +
        "to the PEM file of the CA that signed it (the system's store is closed to the scripts)",
    );
  }
  if (/certificate|self[- ]signed|CERT_|unable to verify|UnknownIssuer|invalid peer/i.test(msg)) {
    return said(
      "tls",
      `${where}: its TLS certificate is not trusted (${oneLine(e?.message ?? msg)}): ` +
        "set SCHEMA_REGISTRY_SSL_CA_FILE to the PEM file of the CA that signed it",
    );
  }
  if (/wrong version number|packet length too long|EPROTO|ssl3_get_record/i.test(msg)) {
    return said(
      "tls",
      `${where}: TLS handshake failed (${oneLine(e?.message ?? msg)}): ` +
        "check http:// versus https:// in SCHEMA_REGISTRY_URL",
    );
  }
  if (
    /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|connect|fetch failed|timed? ?out/i.test(msg)
  ) {
    return said(
      "unreachable",
      `the schema registry at ${conn.url} cannot be reached (${oneLine(e?.message ?? msg)}); ` +
        "start it or set SCHEMA_REGISTRY_URL",
    );
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
