/**
 * The Confluent Schema Registry REST API as one `(Request) => Promise<Response>`
 * handler over a {@linkcode RegistryState} and a {@linkcode SchemaJournal}
 * (where writes become durable). A tiny router of our own maps paths to
 * handlers; the rules live in state.ts, so this file only translates HTTP.
 *
 * Writes run one at a time: the journal is brought up to date, the command
 * is planned against the state, its records are written and only then
 * applied and answered, so an answer never promises what is not stored.
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
import { InvalidSchemaError, parseAvroSchema, type ParsedSchema } from "./compatibility.ts";
import {
  compatibilityMessages,
  ErrorCode,
  type LogRecord,
  lookupSchema,
  parseVersion,
  type Plan,
  planDeleteConfig,
  planDeleteSubject,
  planDeleteVersion,
  planRegister,
  planSetConfig,
  RegistryError,
  type RegistryState,
  requireCompatibilityLevel,
  requireVersion,
  requireVersions,
  type VersionSpec,
} from "./state.ts";
import { type Logger, silentLogger } from "../platform/log.ts";
import { type BasicAuthUser, isAuthorized } from "../platform/basic_auth.ts";

/** Where the registry's records become durable (the Kafka topic, in production). */
export interface SchemaJournal {
  /** Brings `state` up to date before a write, e.g. re-reads the log after a failed append. */
  sync(state: RegistryState): Promise<void>;
  /** Writes records durably, in order; resolves only once they are stored. */
  append(records: readonly LogRecord[]): Promise<void>;
}

export interface RegistryHandlerOptions {
  state: RegistryState;
  journal: SchemaJournal;
  log?: Logger;
  /** When set, every request must carry the basic auth credentials of one of them. */
  users?: readonly BasicAuthUser[];
}

/** The realm a 401 names, so clients and browsers know what to ask for. */
export const REGISTRY_REALM = "schema-registry";

/** The content type Confluent answers with. */
export const REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/** Request body types Confluent accepts. */
const ACCEPTED_BODY_TYPES = [
  "application/vnd.schemaregistry.v1+json",
  "application/vnd.schemaregistry+json",
  "application/json",
  "application/octet-stream",
];

interface Context {
  req: Request;
  params: Record<string, string>;
  query: URLSearchParams;
}
type RouteHandler = (ctx: Context) => Promise<Response> | Response;
interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

/** A minimal router: `/subjects/:subject/versions` style patterns, exact segment counts. */
class Router {
  #routes: Route[] = [];

  on(method: string, pattern: string, handler: RouteHandler): this {
    this.#routes.push({ method, segments: split(pattern), handler });
    return this;
  }

  /** The handler for a request, or why there is none (404 or 405). */
  match(
    method: string,
    path: string[],
  ): { handler: RouteHandler; params: Record<string, string> } | 404 | 405 {
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

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(":")) params[pattern[i].slice(1)] = path[i];
    else if (pattern[i] !== path[i]) return undefined;
  }
  return params;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": REGISTRY_CONTENT_TYPE },
  });
}

function errorResponse(status: number, code: number, message: string): Response {
  return json({ error_code: code, message }, status);
}

function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name)?.toLowerCase() === "true";
}

/** The JSON object of a request body; 415 for a foreign type, 400 for bad JSON. */
async function readBody(req: Request): Promise<Record<string, unknown>> {
  const type = req.headers.get("content-type")?.split(";")[0].trim().toLowerCase();
  if (type && !ACCEPTED_BODY_TYPES.includes(type)) {
    throw new RegistryError(415, `Unsupported Media Type: ${type}`);
  }
  const text = await req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(400, `Malformed JSON body: ${(err as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new RegistryError(400, "The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** The Avro schema in a register/lookup/compatibility body; 42201 when it is not one. */
async function readSchema(req: Request): Promise<ParsedSchema> {
  const body = await readBody(req);
  const type = body.schemaType ?? "AVRO";
  if (typeof type !== "string" || type.toUpperCase() !== "AVRO") {
    throw new RegistryError(
      ErrorCode.invalidSchema,
      `Schema type ${String(type)} is not supported: this registry serves AVRO schemas only`,
    );
  }
  if (Array.isArray(body.references) && body.references.length > 0) {
    throw new RegistryError(
      ErrorCode.invalidSchema,
      "Schema references are not supported by this registry",
    );
  }
  if (typeof body.schema !== "string" || body.schema.trim() === "") {
    throw new RegistryError(ErrorCode.invalidSchema, "Empty schema");
  }
  try {
    return parseAvroSchema(body.schema);
  } catch (err) {
    if (err instanceof InvalidSchemaError) {
      throw new RegistryError(ErrorCode.invalidSchema, err.message);
    }
    throw err;
  }
}

function schemaId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id)) {
    throw new RegistryError(ErrorCode.schemaNotFound, `Schema ${text} not found`);
  }
  return id;
}

/** Builds the registry's request handler; see the module example. */
export function createRegistryHandler(
  options: RegistryHandlerOptions,
): (req: Request) => Promise<Response> {
  const { state, journal } = options;
  const log = options.log ?? silentLogger;

  // One write at a time: ids and versions are assigned from the state the
  // previous write left, and that state must already be durable.
  let writes: Promise<unknown> = Promise.resolve();
  function write<T>(plan: () => Plan<T>): Promise<T> {
    const run = async () => {
      let planned: Plan<T>;
      try {
        await journal.sync(state);
        planned = plan();
        if (planned.records.length > 0) await journal.append(planned.records);
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        throw new RegistryError(
          ErrorCode.storeError,
          `Error in the backend data store: ${(err as Error).message}`,
        );
      }
      for (const record of planned.records) state.apply(record);
      return planned.result;
    };
    const result = writes.then(run, run);
    writes = result.catch(() => {});
    return result;
  }

  const schemaById = (idText: string) => {
    const id = schemaId(idText);
    const schema = state.schemaById(id);
    if (schema === undefined) {
      throw new RegistryError(ErrorCode.schemaNotFound, `Schema ${id} not found`);
    }
    return { id, schema };
  };
  const version = (ctx: Context): VersionSpec => parseVersion(ctx.params.version);

  const router = new Router()
    .on("GET", "/", () => json({}))
    .on(
      "GET",
      "/healthz",
      () => json({ status: "ok", subjects: state.subjects().length, maxId: state.maxId }),
    )
    .on("GET", "/schemas/types", () => json(["AVRO"]))
    .on("GET", "/schemas/ids/:id", ({ params }) => json({ schema: schemaById(params.id).schema }))
    .on(
      "GET",
      "/schemas/ids/:id/schema",
      ({ params }) => json(JSON.parse(schemaById(params.id).schema)),
    )
    .on("GET", "/schemas/ids/:id/subjects", ({ params, query }) => {
      const { id } = schemaById(params.id);
      const subjects = state.usages(id, flag(query, "deleted")).map((v) => v.subject);
      return json([...new Set(subjects)]);
    })
    .on("GET", "/schemas/ids/:id/versions", ({ params, query }) => {
      const { id } = schemaById(params.id);
      return json(
        state.usages(id, flag(query, "deleted")).map((v) => ({
          subject: v.subject,
          version: v.version,
        })),
      );
    })
    .on("GET", "/subjects", ({ query }) => json(state.subjects(flag(query, "deleted"))))
    .on(
      "GET",
      "/subjects/:subject/versions",
      ({ params, query }) =>
        json(requireVersions(state, params.subject, flag(query, "deleted")).map((v) => v.version)),
    )
    .on("POST", "/subjects/:subject/versions", async ({ req, params }) => {
      const schema = await readSchema(req);
      const { id, version: v } = await write(() => planRegister(state, params.subject, schema));
      log.info("schema registered", { subject: params.subject, id, version: v });
      return json({ id });
    })
    .on("GET", "/subjects/:subject/versions/:version", (ctx) => {
      const v = requireVersion(state, ctx.params.subject, version(ctx), flag(ctx.query, "deleted"));
      return json({ subject: v.subject, id: v.id, version: v.version, schema: v.schema });
    })
    .on("GET", "/subjects/:subject/versions/:version/schema", (ctx) => {
      const v = requireVersion(state, ctx.params.subject, version(ctx), flag(ctx.query, "deleted"));
      return json(JSON.parse(v.schema));
    })
    .on("DELETE", "/subjects/:subject/versions/:version", async (ctx) => {
      const permanent = flag(ctx.query, "permanent");
      const spec = version(ctx);
      const deleted = await write(() =>
        planDeleteVersion(state, ctx.params.subject, spec, permanent)
      );
      log.info("version deleted", { subject: ctx.params.subject, version: deleted, permanent });
      return json(deleted);
    })
    .on("POST", "/subjects/:subject", async ({ req, params, query }) => {
      const schema = await readSchema(req);
      const v = lookupSchema(state, params.subject, schema, flag(query, "deleted"));
      return json({ subject: v.subject, id: v.id, version: v.version, schema: v.schema });
    })
    .on("DELETE", "/subjects/:subject", async ({ params, query }) => {
      const permanent = flag(query, "permanent");
      const versions = await write(() => planDeleteSubject(state, params.subject, permanent));
      log.info("subject deleted", { subject: params.subject, versions, permanent });
      return json(versions);
    })
    .on("GET", "/config", () => json({ compatibilityLevel: state.effectiveLevel(null) }))
    .on("PUT", "/config", async ({ req }) => {
      const level = requireCompatibilityLevel((await readBody(req)).compatibility);
      await write(() => planSetConfig(null, level));
      log.info("global compatibility set", { level });
      return json({ compatibility: level });
    })
    .on("DELETE", "/config", async () => {
      const previous = await write(() => planDeleteConfig(state, null));
      return json({ compatibilityLevel: previous });
    })
    .on("GET", "/config/:subject", ({ params, query }) => {
      const level = state.configuredLevel(params.subject) ??
        (flag(query, "defaultToGlobal") ? state.effectiveLevel(null) : undefined);
      if (!level) {
        throw new RegistryError(
          ErrorCode.subjectConfigNotFound,
          `Subject '${params.subject}' does not have subject-level compatibility configured`,
        );
      }
      return json({ compatibilityLevel: level });
    })
    .on("PUT", "/config/:subject", async ({ req, params }) => {
      const level = requireCompatibilityLevel((await readBody(req)).compatibility);
      await write(() => planSetConfig(params.subject, level));
      log.info("subject compatibility set", { subject: params.subject, level });
      return json({ compatibility: level });
    })
    .on("DELETE", "/config/:subject", async ({ params }) => {
      const previous = await write(() => planDeleteConfig(state, params.subject));
      return json({ compatibilityLevel: previous });
    })
    .on("POST", "/compatibility/subjects/:subject/versions/:version", async (ctx) => {
      const spec = version(ctx);
      const schema = await readSchema(ctx.req);
      return compatibilityAnswer(
        compatibilityMessages(state, ctx.params.subject, schema, spec),
        ctx,
      );
    })
    .on("POST", "/compatibility/subjects/:subject/versions", async (ctx) => {
      const schema = await readSchema(ctx.req);
      return compatibilityAnswer(compatibilityMessages(state, ctx.params.subject, schema), ctx);
    });

  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (options.users && !isAuthorized(options.users, req.headers.get("authorization"))) {
      log.debug("request unauthorized", { method: req.method, path: url.pathname });
      const res = errorResponse(
        401,
        401,
        "Unauthorized: this registry needs valid basic auth credentials (user:password)",
      );
      res.headers.set("www-authenticate", `Basic realm="${REGISTRY_REALM}"`);
      return res;
    }
    let path: string[];
    try {
      // Split before decoding: a subject may contain an encoded "/".
      path = split(url.pathname).map(decodeURIComponent);
    } catch {
      return errorResponse(400, 400, `Malformed path: ${url.pathname}`);
    }
    const found = router.match(req.method, path);
    if (found === 404) return errorResponse(404, 404, "HTTP 404 Not Found");
    if (found === 405) return errorResponse(405, 405, "HTTP 405 Method Not Allowed");
    try {
      const res = await found.handler({ req, params: found.params, query: url.searchParams });
      log.debug("request", { method: req.method, path: url.pathname, status: res.status });
      return res;
    } catch (err) {
      if (err instanceof RegistryError) {
        const fields = {
          method: req.method,
          path: url.pathname,
          code: err.code,
          error: err.message,
        };
        if (err.status >= 500) log.error("request failed", fields);
        else log.debug("request refused", fields);
        return errorResponse(err.status, err.code, err.message);
      }
      log.error("request failed", { method: req.method, path: url.pathname, error: err });
      return errorResponse(500, 500, `Internal Server Error: ${(err as Error).message}`);
    }
  };
}

function compatibilityAnswer(messages: string[], ctx: Context): Response {
  const body: { is_compatible: boolean; messages?: string[] } = {
    is_compatible: messages.length === 0,
  };
  if (flag(ctx.query, "verbose")) body.messages = messages;
  return json(body);
}
