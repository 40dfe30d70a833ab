/**
 * The Confluent Schema Registry REST API as one `(Request) => Promise<Response>`
 * handler over a {@linkcode RegistryState} and a {@linkcode SchemaJournal}
 * (where writes become durable). This file checks credentials, finds the
 * route (./http_router.ts over the table in ./http_routes.ts) and turns a
 * refusal into Confluent's error body; the rules live in state.ts.
 *
 * Writes run one at a time (./http_write.ts): the journal is brought up to
 * date, the command is planned against the state, its records are written
 * and only then applied and answered, so an answer never promises what is
 * not stored.
 *
 * @example
 * ```ts
 * import { createRegistryHandler } from "./http.ts";
 * import { RegistryState } from "./state.ts";
 * const handler = createRegistryHandler({
 *   state: new RegistryState(),
 *   journal: { sync: async () => {}, append: async () => {} }, // in memory only
 * });
 * const res = await handler(new Request("http://registry/subjects"));
 * await res.json(); // []
 * ```
 * @module
 */
import { RegistryError, type RegistryState } from "./state.ts";
import { errorResponse } from "./http_messages.ts";
import { registryRoutes, type RouteHandler } from "./http_routes.ts";
import { Router, splitPath } from "./http_router.ts";
import { type SchemaJournal, serialWrites } from "./http_write.ts";
import { type Logger, silentLogger } from "../platform/log.ts";
import { type BasicAuthUser, isAuthorized } from "../platform/basic_auth.ts";

export { REGISTRY_CONTENT_TYPE } from "./http_messages.ts";
export type { SchemaJournal } from "./http_write.ts";

export interface RegistryHandlerOptions {
  state: RegistryState;
  journal: SchemaJournal;
  log?: Logger;
  /** When set, every request must carry the basic auth credentials of one of them. */
  users?: readonly BasicAuthUser[];
}

/** The realm a 401 names, so clients and browsers know what to ask for. */
export const REGISTRY_REALM = "schema-registry";

/** Builds the registry's request handler; see the module example. */
export function createRegistryHandler(
  options: RegistryHandlerOptions,
): (req: Request) => Promise<Response> {
  const { state, journal, users } = options;
  const log = options.log ?? silentLogger;
  const router = new Router<RouteHandler>(
    registryRoutes({ state, write: serialWrites(state, journal), log }),
  );
  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (users && !isAuthorized(users, req.headers.get("authorization"))) {
      log.debug("request unauthorized", { method: req.method, path: url.pathname });
      return unauthorized();
    }
    const path = decodePath(url.pathname);
    if (!path) return errorResponse(400, 400, `Malformed path: ${url.pathname}`);
    const found = router.match(req.method, path);
    if (found === 404) return errorResponse(404, 404, "HTTP 404 Not Found");
    if (found === 405) return errorResponse(405, 405, "HTTP 405 Method Not Allowed");
    try {
      const res = await found.handler({ req, params: found.params, query: url.searchParams });
      log.debug("request", { method: req.method, path: url.pathname, status: res.status });
      return res;
    } catch (err) {
      return failure(err, { method: req.method, path: url.pathname }, log);
    }
  };
}

/** 401, naming the realm so clients know to send basic auth. */
export function unauthorized(): Response {
  const res = errorResponse(
    401,
    401,
    "Unauthorized: this registry needs valid basic auth credentials (user:password)",
  );
  res.headers.set("www-authenticate", `Basic realm="${REGISTRY_REALM}"`);
  return res;
}

/** A path's decoded segments, or undefined when one does not decode. */
export function decodePath(pathname: string): string[] | undefined {
  try {
    // Split before decoding: a subject may contain an encoded "/".
    return splitPath(pathname).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** A route's failure as Confluent answers it: a refusal with its code, else a 500. */
export function failure(
  err: unknown,
  request: { method: string; path: string },
  log: Logger,
): Response {
  if (err instanceof RegistryError) {
    const fields = { ...request, code: err.code, error: err.message };
    if (err.status >= 500) log.error("request failed", fields);
    else log.debug("request refused", fields);
    return errorResponse(err.status, err.code, err.message);
  }
  log.error("request failed", { ...request, error: err });
  return errorResponse(500, 500, `Internal Server Error: ${(err as Error).message}`);
}
