/**
 * The dashboard's HTTP face:
 *
 * - `GET /` the page, and `GET /static/<file>` its script, styles and
 *   helpers, served as they are on disk (no build step);
 * - `GET /api/state` the whole state (JSON), `GET /api/stream` the same as
 *   Server-Sent Events (`event: state`, every `streamIntervalMs`);
 * - `POST /api/dlq/replay {topic, rule, force?}` replays one rule's group
 *   once; a group that all failed validation is refused with a 409 and
 *   the one-line warning until it is posted again with `force: true`;
 *   `POST /api/dlq/refresh` reads the DLQ topics again;
 * - `POST /api/load {rate}` starts (or re-rates) the demo load, `DELETE
 *   /api/load` stops it;
 * - `GET /healthz`.
 *
 * Bad requests get a 400 naming the field; a failed replay a 502 with
 * Kafka's message.
 *
 * @example
 * ```ts
 * import { createDashboardHandler, loadStaticFiles } from "./http.ts";
 * // const handler = createDashboardHandler({ backend, files: await loadStaticFiles() });
 * // Deno.serve({ port: 8084 }, handler);
 * ```
 * @module
 */
import { sseEvent } from "../aggregate/stats_http.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { DashboardState } from "./collector.ts";
import { parseReplayRequest, type ReplayRequest } from "./dlq_panel.ts";
import type { DlqTopicView } from "./dlq_panel.ts";
import type { ReplaySummary } from "./kafka_io.ts";
import { type LoadStatus, parseLoadRequest } from "./load_control.ts";

/** What the handler needs from the rest of the dashboard. */
export interface DashboardBackend {
  state(): DashboardState;
  replay(request: ReplayRequest): Promise<ReplaySummary>;
  refreshDlq(): Promise<DlqTopicView[]>;
  startLoad(rate: number): LoadStatus;
  stopLoad(): Promise<LoadStatus>;
  dlqTopics: readonly string[];
  maxRate: number;
  healthy(): boolean;
}

/** A static file: its bytes and content type. */
export interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** The page's files, beside this module in static/. */
export const STATIC_FILES = ["index.html", "app.js", "format.js", "chart.js", "style.css"] as const;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** Reads the page's files once, at start (a missing file fails the start, not a request). */
export async function loadStaticFiles(
  dir = new URL("./static/", import.meta.url),
): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const name of STATIC_FILES) {
    files.set(name, {
      body: await Deno.readFile(new URL(name, dir)),
      type: TYPES[name.split(".").pop()!],
    });
  }
  return files;
}

export interface DashboardHandlerOptions {
  backend: DashboardBackend;
  files: Map<string, StaticFile>;
  metrics?: MetricsRegistry;
  /** Between two events of `/api/stream`; 1000 by default. */
  streamIntervalMs?: number;
  /** Ends every stream when it aborts, so the server can shut down (streams never end alone). */
  signal?: AbortSignal;
}

const NO_STORE = { "cache-control": "no-store" };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE },
  });
}

async function bodyOf(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    return undefined;
  }
}

export function createDashboardHandler(
  options: DashboardHandlerOptions,
): (req: Request) => Promise<Response> {
  const { backend, files } = options;
  const interval = options.streamIntervalMs ?? 1000;
  const requests = options.metrics?.counter("dashboard_http_requests_total", "HTTP requests", [
    "route",
    "code",
  ]);
  const clients = options.metrics?.gauge("dashboard_stream_clients", "pages following the stream");
  let streaming = 0;

  const stream = (signal: AbortSignal) => {
    const encoder = new TextEncoder();
    let timer: ReturnType<typeof setInterval> | undefined;
    const end = () => {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      clients?.set({}, --streaming);
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const push = () => {
          try {
            controller.enqueue(encoder.encode(sseEvent("state", backend.state())));
          } catch {
            end();
          }
        };
        clients?.set({}, ++streaming);
        // EventSource reconnects this soon after the dashboard restarts.
        controller.enqueue(encoder.encode("retry: 2000\n\n"));
        push();
        timer = setInterval(push, interval);
        const close = () => {
          end();
          try {
            controller.close();
          } catch { /* closed */ }
        };
        signal.addEventListener("abort", close, { once: true });
        options.signal?.addEventListener("abort", close, { once: true });
        if (options.signal?.aborted) close();
      },
      cancel: end,
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream; charset=utf-8", ...NO_STORE },
    });
  };

  async function route(req: Request, pathname: string): Promise<[string, Response]> {
    const method = req.method;
    if (pathname === "/" || pathname === "/index.html") {
      if (method !== "GET" && method !== "HEAD") return ["/", notAllowed(method, "GET")];
      const f = files.get("index.html")!;
      return ["/", new Response(f.body, { headers: { "content-type": f.type, ...NO_STORE } })];
    }
    if (pathname.startsWith("/static/")) {
      const f = files.get(pathname.slice("/static/".length));
      if (!f) return ["/static", json({ error: `no such file: ${pathname}` }, 404)];
      return [
        "/static",
        new Response(f.body, { headers: { "content-type": f.type, ...NO_STORE } }),
      ];
    }
    switch (`${method} ${pathname}`) {
      case "GET /api/state":
        return [pathname, json(backend.state())];
      case "GET /api/stream":
        return [pathname, stream(req.signal)];
      case "GET /healthz": {
        const healthy = backend.healthy();
        return [pathname, json({ ok: healthy }, healthy ? 200 : 503)];
      }
      case "POST /api/dlq/replay": {
        const request = parseReplayRequest(await bodyOf(req), backend.dlqTopics);
        if ("error" in request) return [pathname, json(request, 400)];
        try {
          const summary = await backend.replay(request);
          if (summary.refused) {
            return [pathname, json({ ...summary, error: summary.validationWarning }, 409)];
          }
          return [pathname, json(summary)];
        } catch (err) {
          return [pathname, json({ error: `the replay failed: ${(err as Error).message}` }, 502)];
        }
      }
      case "POST /api/dlq/refresh":
        return [pathname, json({ topics: await backend.refreshDlq() })];
      case "POST /api/load": {
        const request = parseLoadRequest(await bodyOf(req), backend.maxRate);
        if ("error" in request) return [pathname, json(request, 400)];
        return [pathname, json(backend.startLoad(request.rate))];
      }
      case "DELETE /api/load":
        return [pathname, json(await backend.stopLoad())];
    }
    const known = ["/api/state", "/api/stream", "/healthz", "/api/dlq/replay", "/api/dlq/refresh"];
    if (known.includes(pathname) || pathname === "/api/load") {
      return [pathname, notAllowed(method, allowed(pathname))];
    }
    return ["other", json({ error: `no such resource: ${pathname}` }, 404)];
  }

  return async (req) => {
    const { pathname } = new URL(req.url);
    const [name, res] = await route(req, pathname);
    requests?.inc({ route: name, code: res.status });
    return res;
  };
}

function allowed(pathname: string): string {
  if (pathname === "/api/load") return "POST, DELETE";
  return pathname.startsWith("/api/dlq/") ? "POST" : "GET";
}

function notAllowed(method: string, allow: string): Response {
  return new Response(JSON.stringify({ error: `${method} is not allowed; use ${allow}` }), {
    status: 405,
    headers: { "content-type": "application/json; charset=utf-8", allow },
  });
}
