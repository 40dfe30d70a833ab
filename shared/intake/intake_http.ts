/**
 * The HTTP order gateway as a plain `(req) => Promise<Response>` handler over
 * an {@linkcode OrderSink}, so tests call it without a server and the script
 * (scripts/order_gateway.ts) only wires it to `Deno.serve`.
 *
 * - `POST /orders` takes one order object or an array of them (at most
 *   `maxBatch`), as `application/json`. Orders may leave out `orderId`
 *   (the gateway fills `ord-<uuid>`) and `createdAt` (now); validation runs
 *   after filling. Unknown fields are dropped: the topic gets the validated
 *   order. The answer:
 *   - 202 `{ accepted, orderIds }` once Kafka acknowledged every order (a
 *     202 means "in Kafka");
 *   - 400 `{ error, problems: [{ path, message }] }` for malformed JSON (path
 *     "") or invalid orders, naming each bad field, prefixed with the order's
 *     index in a batch (`[2].items[0].quantity`). **All or nothing**: when any
 *     order of a batch is invalid, none of the batch is sent;
 *   - 413 for a body over `maxBodyBytes` (by Content-Length, or counted while
 *     reading a body sent without it), a batch over `maxBatch`, or a batch
 *     the broker refused as too large;
 *   - 415 for a content type other than JSON;
 *   - 503 `{ error }` with `Retry-After` when Kafka is unreachable or did not
 *     acknowledge in time: nothing of the request is promised, the client
 *     should retry (orders keep their ids, so a retry cannot make a second
 *     order, only a second copy of the same one).
 * - `GET /healthz`: 200 `{ ok: true }` when Kafka is connected, else 503.
 * - `GET /metrics`: the Prometheus text of `metrics`, when given.
 * - Anything else: 404 for an unknown path, 405 (with `Allow`) for a known
 *   path with the wrong method.
 *
 * @example
 * ```ts
 * import { createGatewayHandler } from "./intake_http.ts";
 * const sent: unknown[] = [];
 * const handler = createGatewayHandler({
 *   intake: { send: (orders) => Promise.resolve(void sent.push(...orders)) },
 * });
 * const res = await handler(new Request("http://gateway/orders", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({
 *     type: "inventory",
 *     customerId: "cust-7",
 *     items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 24.99 }],
 *   }),
 * }));
 * res.status; // 202
 * ```
 * @module
 */
import type { OrderSink } from "./intake.ts";
import { IntakeError } from "./intake.ts";
import { type Logger, silentLogger } from "../platform/log.ts";
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from "../platform/metrics.ts";
import type { RawOrder } from "../orders/model.ts";
import { type Problem, validateOrder } from "../orders/validate.ts";

export interface GatewayOptions {
  /** Where accepted orders go. */
  intake: OrderSink;
  /** Whether Kafka is connected, for `GET /healthz`; always true when not given. */
  healthy?: () => boolean;
  /** Rendered on `GET /metrics`; the gateway also counts its requests there. */
  metrics?: MetricsRegistry;
  log?: Logger;
  /** Largest request body in bytes; 1 MiB by default. */
  maxBodyBytes?: number;
  /** Most orders in one request; 500 by default. */
  maxBatch?: number;
  /** Seconds a 503 asks the client to wait (`Retry-After`); 5 by default. */
  retryAfterSeconds?: number;
  /** The clock for a missing `createdAt`. */
  now?: () => Date;
  /** Makes the id of an order sent without one. */
  newOrderId?: () => string;
}

/** An order id for an order that came without one. */
export function newOrderId(): string {
  return `ord-${crypto.randomUUID()}`;
}

/** What the gateway makes of a parsed body: orders to send, or why not. */
export type Prepared =
  | { ok: true; orders: RawOrder[] }
  | { ok: false; status: 400 | 413; error: string; problems: Problem[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function atIndex(index: number | undefined, path: string): string {
  if (index === undefined) return path;
  return path === "" ? `[${index}]` : `[${index}].${path}`;
}

/**
 * Fills missing ids and timestamps, then validates every order of a parsed
 * body (one object or an array). Pure but for the clock and the id maker.
 * Every problem of every order is reported, each with its path.
 */
export function prepareOrders(
  body: unknown,
  options: { maxBatch: number; now: () => Date; newOrderId: () => string },
): Prepared {
  const batch = Array.isArray(body);
  const inputs: unknown[] = batch ? body : [body];
  if (batch && inputs.length === 0) {
    return {
      ok: false,
      status: 400,
      error: "the batch is empty: send at least one order",
      problems: [{ path: "", message: "must have at least one order" }],
    };
  }
  if (inputs.length > options.maxBatch) {
    return {
      ok: false,
      status: 413,
      error: `a batch may hold at most ${options.maxBatch} orders, got ${inputs.length}`,
      problems: [{
        path: "",
        message: `must have at most ${options.maxBatch} orders, got ${inputs.length}`,
      }],
    };
  }
  const problems: Problem[] = [];
  const orders: RawOrder[] = [];
  const firstIndexOfId = new Map<string, number>();
  let invalid = 0;
  for (const [i, input] of inputs.entries()) {
    const index = batch ? i : undefined;
    let candidate = input;
    if (isObject(input)) {
      candidate = { ...input };
      const filled = candidate as Record<string, unknown>;
      if (filled.orderId === undefined) filled.orderId = options.newOrderId();
      if (filled.createdAt === undefined) filled.createdAt = options.now().toISOString();
    }
    const result = validateOrder(candidate);
    const mine: Problem[] = result.ok ? [] : result.problems;
    if (result.ok) {
      const seen = firstIndexOfId.get(result.order.orderId);
      if (seen !== undefined) {
        mine.push({
          path: "orderId",
          message: `duplicates the orderId of [${seen}]: ${JSON.stringify(result.order.orderId)}`,
        });
      } else firstIndexOfId.set(result.order.orderId, i);
    }
    if (mine.length > 0) {
      invalid++;
      for (const p of mine) problems.push({ path: atIndex(index, p.path), message: p.message });
    } else if (result.ok) orders.push(result.order);
  }
  if (invalid > 0) {
    const error = batch
      ? `${invalid} of ${inputs.length} orders are invalid; none of the batch was accepted`
      : "the order is invalid; it was not accepted";
    return { ok: false, status: 400, error, problems };
  }
  return { ok: true, orders };
}

/** Whether a Content-Type names JSON (`application/json`, `application/*+json`). */
export function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;
  const type = header.split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

class BodyTooLarge extends Error {}

/** Reads a body, counting bytes as they come: a body without Content-Length cannot overrun. */
async function readBody(req: Request, maxBytes: number): Promise<Uint8Array> {
  if (req.body === null) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

const ROUTES: Record<string, string[]> = {
  "/orders": ["POST"],
  "/healthz": ["GET"],
  "/metrics": ["GET"],
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}

/** Creates the gateway's handler; see the module doc for what it answers. */
export function createGatewayHandler(options: GatewayOptions): (req: Request) => Promise<Response> {
  const {
    intake,
    metrics,
    healthy = () => true,
    log = silentLogger,
    maxBodyBytes = 1024 * 1024,
    maxBatch = 500,
    retryAfterSeconds = 5,
    now = () => new Date(),
  } = options;
  const makeId = options.newOrderId ?? newOrderId;
  const requests = metrics?.counter(
    "gateway_requests_total",
    "HTTP requests by route and status",
    ["route", "status"],
  );
  const seconds = metrics?.histogram(
    "gateway_request_seconds",
    "time to answer POST /orders, including Kafka's acknowledgement",
  );
  const rejected = metrics?.counter(
    "gateway_orders_rejected_total",
    "orders refused with 400 (invalid, or in a batch with an invalid one)",
  );

  const tooLarge = () =>
    json(413, { error: `the body is larger than the limit of ${maxBodyBytes} bytes` });

  async function postOrders(req: Request): Promise<Response> {
    if (!isJsonContentType(req.headers.get("content-type"))) {
      return json(415, {
        error: `send orders as Content-Type: application/json, got ${
          req.headers.get("content-type") ?? "none"
        }`,
      });
    }
    const declared = req.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBodyBytes) return tooLarge();
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(await readBody(req, maxBodyBytes));
    } catch (err) {
      if (err instanceof BodyTooLarge) return tooLarge();
      if (err instanceof TypeError) {
        return json(400, {
          error: "malformed JSON: the body is not valid UTF-8",
          problems: [{ path: "", message: "the body is not valid UTF-8" }],
        });
      }
      throw err;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      const message = `malformed JSON: ${(err as Error).message}`;
      return json(400, { error: message, problems: [{ path: "", message }] });
    }
    const prepared = prepareOrders(body, { maxBatch, now, newOrderId: makeId });
    if (!prepared.ok) {
      const count = Array.isArray(body) ? body.length : 1;
      if (prepared.status === 400) rejected?.inc({}, count);
      log.info("orders refused", {
        status: prepared.status,
        orders: count,
        problems: prepared.problems.length,
      });
      return json(prepared.status, { error: prepared.error, problems: prepared.problems });
    }
    const { orders } = prepared;
    try {
      await intake.send(orders);
    } catch (err) {
      const kind = err instanceof IntakeError ? err.kind : "unavailable";
      if (kind === "too-large") {
        return json(413, { error: `Kafka refused the orders as too large: ${errorText(err)}` });
      }
      return json(503, {
        error: `Kafka is unavailable; the orders were not accepted, retry later (${
          errorText(err)
        })`,
      }, { "retry-after": String(retryAfterSeconds) });
    }
    log.debug("orders accepted", { orders: orders.length });
    return json(202, { accepted: orders.length, orderIds: orders.map((o) => o.orderId) });
  }

  async function route(req: Request, pathname: string): Promise<Response> {
    const methods = ROUTES[pathname];
    if (methods === undefined) return json(404, { error: `no such path: ${pathname}` });
    if (!methods.includes(req.method)) {
      return json(405, { error: `${pathname} takes ${methods.join(", ")}, not ${req.method}` }, {
        allow: methods.join(", "),
      });
    }
    if (pathname === "/orders") {
      const started = performance.now();
      const res = await postOrders(req);
      seconds?.observe({}, (performance.now() - started) / 1000);
      return res;
    }
    if (pathname === "/healthz") {
      const ok = healthy();
      return json(ok ? 200 : 503, { ok, kafka: ok ? "connected" : "unreachable" });
    }
    if (metrics === undefined) return json(404, { error: "this gateway keeps no metrics" });
    return new Response(metrics.render(), { headers: { "content-type": METRICS_CONTENT_TYPE } });
  }

  return async (req) => {
    const { pathname } = new URL(req.url);
    let res: Response;
    try {
      res = await route(req, pathname);
    } catch (err) {
      log.error("request failed", { path: pathname, error: err });
      res = json(500, { error: `internal error: ${errorText(err)}` });
    }
    requests?.inc({ route: ROUTES[pathname] ? pathname : "other", status: res.status });
    return res;
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
