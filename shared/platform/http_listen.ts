/**
 * What the HTTP surfaces (the order gateway, the order status service, the
 * web dashboard) share beyond the guard itself: their listen flags and the
 * start of their server. Each surface differs only in its env-var prefix,
 * its default port and what it logs, so those are the parameters.
 *
 * - {@linkcode httpListenFlags}: `--port`, `--host` and the guard's four
 *   flags (shared/platform/http_guard.ts), env `<PREFIX>_PORT`, `<PREFIX>_HOST`, …;
 * - {@linkcode serveGuarded}: serves a handler behind the credentials (the
 *   paths given open), warns when it is exposed without them, logs where it
 *   listens.
 *
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * import { createLogger } from "./log.ts";
 * import { httpServerFrom } from "./http_guard.ts";
 * import { httpListenFlags, serveGuarded } from "./http_listen.ts";
 * const config = defineConfig({
 *   name: "hello",
 *   summary: "Says hello.",
 *   flags: { ...httpListenFlags("HELLO", 8090) },
 * });
 * const cfg = config.parse(["--port", "0"]);
 * const http = httpServerFrom(cfg, { realm: "hello", prefix: "HELLO" });
 * const server = serveGuarded(cfg, http, () => new Response("hello"), {
 *   log: createLogger({ name: "hello" }),
 *   message: "hello listening",
 * });
 * await server.shutdown();
 * ```
 * @module
 */
import {
  authSummary,
  exposureWarning,
  guard,
  httpServerFlags,
  type HttpServerSettings,
  listenUrl,
  serveHttp,
} from "./http_guard.ts";
import type { Logger } from "./log.ts";
import { portFlag } from "./port_flag.ts";

/**
 * The flags of an HTTP surface listening on `port` by default: `--port`
 * (`<prefix>_PORT`), `--host` (`<prefix>_HOST`, loopback by default) and
 * the credentials and TLS flags of {@linkcode httpServerFlags}.
 */
export function httpListenFlags<P extends string>(prefix: P, port: number) {
  return {
    port: portFlag(`${prefix}_PORT`, port, "HTTP port to listen on (0: any free port)"),
    host: {
      type: "string",
      env: `${prefix}_HOST`,
      default: "127.0.0.1",
      description: "address to listen on (0.0.0.0 for every interface)",
    },
    ...httpServerFlags(prefix),
  } as const;
}

/** What {@linkcode serveGuarded} needs besides the handler. */
export interface ServeGuardedOptions {
  log: Logger;
  /** The "listening" line's message. */
  message: string;
  /** The path the logged URL ends in. */
  path?: string;
  /** Paths let through without credentials (a liveness probe). */
  open?: readonly string[];
  /** More fields for the "listening" line. */
  fields?: Record<string, unknown>;
}

/**
 * Serves `handler` on `listen.host`:`listen.port` behind `http`'s
 * credentials and TLS, warns when it is reachable from other hosts without
 * credentials, and logs its URL. Throws what `Deno.serve` or the TLS files
 * throw (a {@linkcode ConfigError} for a bad file).
 */
export function serveGuarded(
  listen: { host: string; port: number },
  http: HttpServerSettings,
  handler: (request: Request) => Response | Promise<Response>,
  options: ServeGuardedOptions,
): Deno.HttpServer<Deno.NetAddr> {
  const guarded = guard(handler, http.credentials, { open: [...(options.open ?? [])] });
  const server = serveHttp(http, { hostname: listen.host, port: listen.port }, guarded);
  const exposed = exposureWarning(listen.host, http);
  if (exposed) options.log.warn(exposed);
  options.log.info(options.message, {
    url: listenUrl(server.addr, http.tls !== undefined, options.path),
    auth: authSummary(http.credentials),
    ...options.fields,
  });
  return server;
}
