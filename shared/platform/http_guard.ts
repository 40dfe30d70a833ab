/**
 * What the HTTP surfaces (the order gateway, the web dashboard, the order
 * status service) share to be exposed safely: optional credentials (a
 * bearer token and/or HTTP basic `user:password`), checked in constant time,
 * and TLS from a certificate and key file.
 *
 * - {@linkcode httpServerFlags} makes the four flags for an env-var prefix
 *   (`--auth-token`, `--basic-auth`, `--tls-cert-file`, `--tls-key-file`,
 *   env `<PREFIX>_AUTH_TOKEN` …), to spread into a script's flags;
 * - {@linkcode httpServerFrom} turns their values into credentials and the
 *   TLS options of `Deno.serve`, or a {@linkcode ConfigError} naming the flag;
 * - {@linkcode authorize} is the pure check: `undefined` (let it through) or
 *   the 401 to answer; {@linkcode guard} wraps a handler with it, leaving
 *   the paths it is told open (a liveness probe) unguarded;
 * - {@linkcode serveHttp} is `Deno.serve` with that TLS.
 *
 * Either credential lets a request in when both are set: scripts and
 * Prometheus send the token, a browser sends basic auth (it asks once and
 * then sends it with every same-origin request: the page, its fetches and
 * its EventSource).
 *
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * import { guard, httpServerFlags, httpServerFrom, listenUrl, serveHttp } from "./http_guard.ts";
 * const config = defineConfig({
 *   name: "my_service",
 *   summary: "Says hello.",
 *   flags: { ...httpServerFlags("MY_SERVICE") },
 * });
 * const cfg = config.load();
 * const http = config.orExit(() => httpServerFrom(cfg, { realm: "my_service" }));
 * const handler = guard(() => new Response("hello"), http.credentials, { open: ["/healthz"] });
 * const server = config.orExit(() => serveHttp(http, { hostname: "127.0.0.1", port: 0 }, handler));
 * console.log(listenUrl(server.addr, http.tls !== undefined));
 * ```
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ConfigError, flagName } from "./config.ts";
import { basicAuthUser, isAuthorized } from "./basic_auth.ts";

/**
 * The flags of an HTTP surface, their env vars named `<prefix>_AUTH_TOKEN`,
 * `<prefix>_BASIC_AUTH`, `<prefix>_TLS_CERT_FILE` and `<prefix>_TLS_KEY_FILE`.
 * The two secrets are marked so `--help` never shows a value; their env
 * vars are the better place for them (a flag is visible in `ps`).
 */
export function httpServerFlags<P extends string>(prefix: P) {
  return {
    authToken: {
      type: "string",
      env: `${prefix}_AUTH_TOKEN`,
      secret: true,
      description: "require Authorization: Bearer <token> (prefer the env var)",
    },
    basicAuth: {
      type: "string",
      env: `${prefix}_BASIC_AUTH`,
      secret: true,
      description: "require HTTP basic auth, as user:password (prefer the env var)",
    },
    tlsCertFile: {
      type: "string",
      env: `${prefix}_TLS_CERT_FILE`,
      description: "PEM certificate (chain): serve HTTPS; needs --tls-key-file",
    },
    tlsKeyFile: {
      type: "string",
      env: `${prefix}_TLS_KEY_FILE`,
      description: "PEM private key of --tls-cert-file",
    },
  } as const;
}

/** The env vars {@linkcode httpServerFlags} reads for `prefix`, for a script's `--allow-env`. */
export function httpServerEnv(prefix: string): string[] {
  return Object.values(httpServerFlags(prefix)).map((flag) => flag.env);
}

/** What a request must carry; at least one of `token` and `basic` is set. */
export interface HttpCredentials {
  /** Named in `WWW-Authenticate` (the browser shows it in its prompt). */
  realm: string;
  token?: string;
  /** `user:password`, exactly as configured. */
  basic?: string;
}

/** The TLS options `Deno.serve` takes: PEM text of the certificate and its key. */
export interface TlsPem {
  cert: string;
  key: string;
}

/** What {@linkcode httpServerFrom} makes of the flags. */
export interface HttpServerSettings {
  /** Undefined: no credentials configured, every request is let in. */
  credentials?: HttpCredentials;
  /** Undefined: plain HTTP. */
  tls?: TlsPem;
}

type HttpFlagValues = {
  authToken?: string;
  basicAuth?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
};

/**
 * Checks the flags of {@linkcode httpServerFlags} and reads the TLS files.
 * Throws a {@linkcode ConfigError} naming the flag (and its env var) for an
 * empty token, basic auth without a `:`, a certificate without its key (or
 * the reverse), or a file that cannot be read or is not PEM.
 */
export function httpServerFrom(
  cfg: HttpFlagValues,
  options: {
    realm: string;
    /** The env-var prefix, only to name the variable in errors. */
    prefix?: string;
    readFile?: (path: string) => string;
  },
): HttpServerSettings {
  const readFile = options.readFile ?? Deno.readTextFileSync;
  const name = (key: keyof HttpFlagValues) => {
    const env = options.prefix ? httpServerFlags(options.prefix)[key].env : undefined;
    return `--${flagName(key)}${env ? ` (${env})` : ""}`;
  };
  if (cfg.authToken !== undefined && cfg.authToken.trim() === "") {
    throw new ConfigError("authToken", `${name("authToken")} is empty: give a token or unset it`);
  }
  if (cfg.basicAuth !== undefined) {
    const colon = cfg.basicAuth.indexOf(":");
    if (colon < 1 || colon === cfg.basicAuth.length - 1) {
      throw new ConfigError(
        "basicAuth",
        `${name("basicAuth")} must be user:password, both non-empty`,
      );
    }
  }
  const credentials = cfg.authToken !== undefined || cfg.basicAuth !== undefined
    ? { realm: options.realm, token: cfg.authToken, basic: cfg.basicAuth }
    : undefined;

  if ((cfg.tlsCertFile === undefined) !== (cfg.tlsKeyFile === undefined)) {
    const missing = cfg.tlsCertFile === undefined ? "tlsCertFile" : "tlsKeyFile";
    throw new ConfigError(
      missing,
      `${name("tlsCertFile")} and ${name("tlsKeyFile")} go together: ${name(missing)} is missing`,
    );
  }
  let tls: TlsPem | undefined;
  if (cfg.tlsCertFile !== undefined && cfg.tlsKeyFile !== undefined) {
    const pem = (key: "tlsCertFile" | "tlsKeyFile", path: string, marker: RegExp) => {
      let text: string;
      try {
        text = readFile(path);
      } catch (err) {
        throw new ConfigError(key, `${name(key)}: cannot read ${path}: ${(err as Error).message}`);
      }
      if (!marker.test(text)) {
        throw new ConfigError(key, `${name(key)}: ${path} is not a PEM ${marker.source}`);
      }
      return text;
    };
    tls = {
      cert: pem("tlsCertFile", cfg.tlsCertFile, /CERTIFICATE/),
      key: pem("tlsKeyFile", cfg.tlsKeyFile, /PRIVATE KEY/),
    };
  }
  return { credentials, tls };
}

/** SHA-256 first, so both sides have one length and the comparison leaks neither. */
function sameSecret(given: Uint8Array, expected: string): boolean {
  const digest = (data: Uint8Array | string) => createHash("sha256").update(data).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function refuse(credentials: HttpCredentials, error: string): Response {
  const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
  // Basic first: a browser takes the first scheme it knows and prompts for it.
  const realm = credentials.realm.replaceAll('"', "'");
  if (credentials.basic !== undefined) {
    headers.append("www-authenticate", `Basic realm="${realm}", charset="UTF-8"`);
  }
  if (credentials.token !== undefined) {
    headers.append("www-authenticate", `Bearer realm="${realm}"`);
  }
  return new Response(JSON.stringify({ error }) + "\n", { status: 401, headers });
}

/**
 * Whether `request` carries the configured credentials: `undefined` when it
 * does (or when none are configured), else the 401 to answer, with a
 * `WWW-Authenticate` challenge per accepted scheme and a one-line JSON body
 * saying what is missing or wrong. Pure: only the Authorization header is read.
 */
export function authorize(
  request: Request,
  credentials: HttpCredentials | undefined,
): Response | undefined {
  if (credentials === undefined) return undefined;
  const wanted = [
    credentials.basic !== undefined ? "Basic <user:password>" : undefined,
    credentials.token !== undefined ? "Bearer <token>" : undefined,
  ].filter((s) => s !== undefined).join(" or ");
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") {
    return refuse(credentials, `credentials required: send Authorization: ${wanted}`);
  }
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  const scheme = match?.[1].toLowerCase();
  const value = match?.[2] ?? "";
  if (scheme === "bearer" && credentials.token !== undefined) {
    return sameSecret(new TextEncoder().encode(value), credentials.token)
      ? undefined
      : refuse(credentials, "wrong credentials: the bearer token is not accepted");
  }
  if (scheme === "basic" && credentials.basic !== undefined) {
    // The registry's check (constant time, over a digest), with this one user.
    const colon = credentials.basic.indexOf(":");
    const user = basicAuthUser(
      credentials.basic.slice(0, colon),
      credentials.basic.slice(colon + 1),
    );
    return isAuthorized([user], header)
      ? undefined
      : refuse(credentials, "wrong credentials: the user or password is not accepted");
  }
  return refuse(
    credentials,
    `unsupported credentials: this server takes Authorization: ${wanted}`,
  );
}

/**
 * Wraps `handler` so every request passes {@linkcode authorize} first, but
 * for the exact paths in `open` (e.g. a liveness probe that says only
 * "up or not"). With no credentials it returns `handler` itself.
 */
export function guard<R extends Response | Promise<Response>>(
  handler: (request: Request) => R,
  credentials: HttpCredentials | undefined,
  options: { open?: readonly string[] } = {},
): (request: Request) => R | Response {
  if (credentials === undefined) return handler;
  const open = new Set(options.open ?? []);
  return (request) => {
    if (open.has(new URL(request.url).pathname)) return handler(request);
    return authorize(request, credentials) ?? handler(request);
  };
}

/**
 * `Deno.serve` with the TLS of `settings` (plain HTTP without), quiet (the
 * script logs its own line with {@linkcode listenUrl}). A certificate and
 * key that TLS refuses (e.g. a key of another certificate) become a
 * {@linkcode ConfigError} naming both flags; other errors (the port taken)
 * are thrown as they are.
 */
export function serveHttp(
  settings: HttpServerSettings,
  options: { hostname: string; port: number },
  handler: (request: Request) => Response | Promise<Response>,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve({ ...options, ...settings.tls, onListen: () => {} }, handler);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (settings.tls === undefined || err instanceof Deno.errors.AddrInUse) throw err;
    throw new ConfigError(
      "tlsKeyFile",
      `--tls-cert-file and --tls-key-file: TLS refuses them (${message}); is the key the certificate's?`,
    );
  }
}

/** What a start-up line says of the credentials (never their values): "token+basic", "none". */
export function authSummary(credentials: HttpCredentials | undefined): string {
  const kinds = [credentials?.token && "token", credentials?.basic && "basic"].filter(Boolean);
  return kinds.length > 0 ? kinds.join("+") : "none";
}

/** Whether `host` is a loopback address, reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}

/**
 * The warning to log when a surface listens beyond loopback with no
 * credentials (anyone who reaches the port may use it), else undefined. Pure.
 */
export function exposureWarning(host: string, settings: HttpServerSettings): string | undefined {
  if (isLoopback(host) || settings.credentials !== undefined) return undefined;
  return `listening on ${host} without credentials: anyone who reaches the port can use it ` +
    "(set --auth-token or --basic-auth)";
}

/** The URL a server listens on, for its start-up line: https when it serves TLS. */
export function listenUrl(addr: Deno.NetAddr, secure: boolean, path = "/"): string {
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return `${secure ? "https" : "http"}://${host}:${addr.port}${path}`;
}
