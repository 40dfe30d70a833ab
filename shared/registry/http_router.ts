/**
 * A minimal router for the registry's REST API: a table of
 * `/subjects/:subject/versions` style patterns, matched on exact segment
 * counts, each with its method and handler.
 *
 * @example
 * ```ts
 * import { Router, splitPath } from "./http_router.ts";
 * const router = new Router<string>([["GET", "/subjects/:subject", "one subject"]]);
 * router.match("GET", splitPath("/subjects/orders")); // { handler: "one subject", params: { subject: "orders" } }
 * router.match("PUT", splitPath("/subjects/orders")); // 405
 * router.match("GET", splitPath("/nothing")); // 404
 * ```
 * @module
 */

/** One row of a route table: method, pattern, handler. */
export type RouteRow<H> = readonly [method: string, pattern: string, handler: H];

/** What a request's path matched: its handler and the pattern's `:name` segments. */
export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
}

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

/** Maps a method and path to a handler of a route table, or says why none (404 or 405). */
export class Router<H> {
  #routes: Route<H>[];

  constructor(table: readonly RouteRow<H>[]) {
    this.#routes = table.map(([method, pattern, handler]) => ({
      method,
      segments: splitPath(pattern),
      handler,
    }));
  }

  /** The handler for a request, or why there is none: 404 no path matches, 405 no method. */
  match(method: string, path: string[]): RouteMatch<H> | 404 | 405 {
    let pathMatched = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, path);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method) return { handler: route.handler, params };
    }
    return pathMatched ? 405 : 404;
  }
}

/** The non-empty segments of a path (not decoded). */
export function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

/** The `:name` parameters when `path` fits `pattern`, segment for segment. */
export function matchSegments(
  pattern: string[],
  path: string[],
): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(":")) params[pattern[i].slice(1)] = path[i];
    else if (pattern[i] !== path[i]) return undefined;
  }
  return params;
}
