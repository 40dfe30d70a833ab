/**
 * The registry's route table: every path of Confluent's REST API that this
 * registry serves, and what it answers. The rules live in state.ts; a route
 * only reads the request, asks the state (or plans a write) and answers JSON.
 *
 * @example
 * ```ts
 * import { registryRoutes } from "./http_routes.ts";
 * import { serialWrites } from "./http_write.ts";
 * import { RegistryState } from "./state.ts";
 * import { silentLogger } from "../platform/log.ts";
 * const state = new RegistryState();
 * const journal = { sync: async () => {}, append: async () => {} };
 * const routes = registryRoutes({ state, write: serialWrites(state, journal), log: silentLogger });
 * routes.some(([method, pattern]) => method === "GET" && pattern === "/subjects"); // true
 * ```
 * @module
 */
import {
  compatibilityMessages,
  lookupSchema,
  parseVersion,
  planDeleteConfig,
  planDeleteSubject,
  planDeleteVersion,
  planRegister,
  planSetConfig,
  type RegistryState,
  requireCompatibilityLevel,
  requireVersion,
  requireVersions,
  type SchemaVersion,
  type VersionSpec,
} from "./state.ts";
// The refusals a route raises itself, apart from what it asks of the state.
import { ErrorCode, RegistryError } from "./state.ts";
import { flag, json, readBody, readSchema } from "./http_messages.ts";
import type { RouteRow } from "./http_router.ts";
import type { Write } from "./http_write.ts";
import type { Logger } from "../platform/log.ts";

/** What a route gets: the request, its path's `:name` segments and its query. */
export interface RouteContext {
  req: Request;
  params: Record<string, string>;
  query: URLSearchParams;
}
export type RouteHandler = (ctx: RouteContext) => Promise<Response> | Response;

/** What the routes work on. */
export interface RouteDeps {
  state: RegistryState;
  write: Write;
  log: Logger;
}

/** Every route, in the order they are matched. */
export function registryRoutes(deps: RouteDeps): RouteRow<RouteHandler>[] {
  return [
    ...schemaRoutes(deps),
    ...subjectRoutes(deps),
    ...configRoutes(deps),
    ...compatibilityRoutes(deps),
  ];
}

/** The root, health and `/schemas` routes: schemas by id. */
function schemaRoutes({ state }: RouteDeps): RouteRow<RouteHandler>[] {
  const usages = ({ params, query }: RouteContext) =>
    state.usages(schemaById(state, params.id).id, flag(query, "deleted"));
  return [
    ["GET", "/", () => json({})],
    [
      "GET",
      "/healthz",
      () => json({ status: "ok", subjects: state.subjects().length, maxId: state.maxId }),
    ],
    ["GET", "/schemas/types", () => json(["AVRO"])],
    [
      "GET",
      "/schemas/ids/:id",
      ({ params }) => json({ schema: schemaById(state, params.id).schema }),
    ],
    [
      "GET",
      "/schemas/ids/:id/schema",
      ({ params }) => json(JSON.parse(schemaById(state, params.id).schema)),
    ],
    [
      "GET",
      "/schemas/ids/:id/subjects",
      (ctx) => json([...new Set(usages(ctx).map((v) => v.subject))]),
    ],
    [
      "GET",
      "/schemas/ids/:id/versions",
      (ctx) => json(usages(ctx).map((v) => ({ subject: v.subject, version: v.version }))),
    ],
  ];
}

/** The `/subjects` routes: register, look up, read and delete versions. */
function subjectRoutes({ state, write, log }: RouteDeps): RouteRow<RouteHandler>[] {
  const versionOf = (ctx: RouteContext) =>
    requireVersion(state, ctx.params.subject, version(ctx), flag(ctx.query, "deleted"));
  return [
    ["GET", "/subjects", ({ query }) => json(state.subjects(flag(query, "deleted")))],
    [
      "GET",
      "/subjects/:subject/versions",
      ({ params, query }) =>
        json(requireVersions(state, params.subject, flag(query, "deleted")).map((v) => v.version)),
    ],
    ["POST", "/subjects/:subject/versions", async ({ req, params }) => {
      const schema = await readSchema(req);
      const { id, version: v } = await write(() => planRegister(state, params.subject, schema));
      log.info("schema registered", { subject: params.subject, id, version: v });
      return json({ id });
    }],
    ["GET", "/subjects/:subject/versions/:version", (ctx) => json(versionBody(versionOf(ctx)))],
    [
      "GET",
      "/subjects/:subject/versions/:version/schema",
      (ctx) => json(JSON.parse(versionOf(ctx).schema)),
    ],
    ["DELETE", "/subjects/:subject/versions/:version", async (ctx) => {
      const permanent = flag(ctx.query, "permanent");
      const spec = version(ctx);
      const deleted = await write(() =>
        planDeleteVersion(state, ctx.params.subject, spec, permanent)
      );
      log.info("version deleted", { subject: ctx.params.subject, version: deleted, permanent });
      return json(deleted);
    }],
    ["POST", "/subjects/:subject", async ({ req, params, query }) => {
      const schema = await readSchema(req);
      return json(versionBody(lookupSchema(state, params.subject, schema, flag(query, "deleted"))));
    }],
    ["DELETE", "/subjects/:subject", async ({ params, query }) => {
      const permanent = flag(query, "permanent");
      const versions = await write(() => planDeleteSubject(state, params.subject, permanent));
      log.info("subject deleted", { subject: params.subject, versions, permanent });
      return json(versions);
    }],
  ];
}

/** The `/config` routes: the global and each subject's compatibility level. */
function configRoutes({ state, write, log }: RouteDeps): RouteRow<RouteHandler>[] {
  const setLevel = async (req: Request, subject: string | null) => {
    const level = requireCompatibilityLevel((await readBody(req)).compatibility);
    await write(() => planSetConfig(subject, level));
    if (subject === null) log.info("global compatibility set", { level });
    else log.info("subject compatibility set", { subject, level });
    return json({ compatibility: level });
  };
  const deleteLevel = async (subject: string | null) =>
    json({ compatibilityLevel: await write(() => planDeleteConfig(state, subject)) });
  return [
    ["GET", "/config", () => json({ compatibilityLevel: state.effectiveLevel(null) })],
    ["PUT", "/config", ({ req }) => setLevel(req, null)],
    ["DELETE", "/config", () => deleteLevel(null)],
    ["GET", "/config/:subject", ({ params, query }) => {
      const level = state.configuredLevel(params.subject) ??
        (flag(query, "defaultToGlobal") ? state.effectiveLevel(null) : undefined);
      if (!level) {
        throw new RegistryError(
          ErrorCode.subjectConfigNotFound,
          `Subject '${params.subject}' does not have subject-level compatibility configured`,
        );
      }
      return json({ compatibilityLevel: level });
    }],
    ["PUT", "/config/:subject", ({ req, params }) => setLevel(req, params.subject)],
    ["DELETE", "/config/:subject", ({ params }) => deleteLevel(params.subject)],
  ];
}

/** The `/compatibility` routes: would a schema be accepted, against one version or all. */
function compatibilityRoutes({ state }: RouteDeps): RouteRow<RouteHandler>[] {
  return [
    ["POST", "/compatibility/subjects/:subject/versions/:version", async (ctx) => {
      const spec = version(ctx);
      const schema = await readSchema(ctx.req);
      return compatibilityAnswer(
        compatibilityMessages(state, ctx.params.subject, schema, spec),
        ctx,
      );
    }],
    ["POST", "/compatibility/subjects/:subject/versions", async (ctx) => {
      const schema = await readSchema(ctx.req);
      return compatibilityAnswer(compatibilityMessages(state, ctx.params.subject, schema), ctx);
    }],
  ];
}

/** The schema of id `idText`; 40403 when there is none. */
export function schemaById(state: RegistryState, idText: string): { id: number; schema: string } {
  const id = schemaId(idText);
  const schema = state.schemaById(id);
  if (schema === undefined) {
    throw new RegistryError(ErrorCode.schemaNotFound, `Schema ${id} not found`);
  }
  return { id, schema };
}

/** A schema id from the path: a whole number, else 40403 as for an unknown one. */
export function schemaId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id)) {
    throw new RegistryError(ErrorCode.schemaNotFound, `Schema ${text} not found`);
  }
  return id;
}

const version = (ctx: RouteContext): VersionSpec => parseVersion(ctx.params.version);

/** A version as Confluent answers it. */
function versionBody(v: SchemaVersion) {
  return { subject: v.subject, id: v.id, version: v.version, schema: v.schema };
}

/** `{ is_compatible }`, with the messages when `verbose=true`. */
export function compatibilityAnswer(
  messages: string[],
  ctx: Pick<RouteContext, "query">,
): Response {
  const body: { is_compatible: boolean; messages?: string[] } = {
    is_compatible: messages.length === 0,
  };
  if (flag(ctx.query, "verbose")) body.messages = messages;
  return json(body);
}
