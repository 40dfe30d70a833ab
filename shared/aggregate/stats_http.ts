/**
 * The aggregator's HTTP face, for the dashboard: `GET /stats` (the latest
 * committed snapshot, JSON; see snapshot.ts for its shape), `GET
 * /stats/stream` (Server-Sent Events: the snapshot at once, then every
 * `streamIntervalMs`, as `event: stats` with the JSON as data), `GET
 * /healthz` and `GET /metrics`. Read-only and open to other origins, so a
 * dashboard served elsewhere may ask it.
 *
 * @example
 * ```ts
 * import { createStatsHandler } from "./stats_http.ts";
 * import { MetricsRegistry } from "../platform/metrics.ts";
 * const handler = createStatsHandler({
 *   snapshot: () => ({ records: 0 }),
 *   metrics: new MetricsRegistry(),
 *   healthy: () => true,
 * });
 * // Deno.serve({ port: 8083 }, handler);
 * ```
 * @module
 */
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from "../platform/metrics.ts";

const CORS = { "access-control-allow-origin": "*" };

export interface StatsHandlerOptions {
  /** The snapshot to serve; undefined while there is none yet (503). */
  snapshot: () => unknown | undefined;
  metrics: MetricsRegistry;
  healthy: () => boolean;
  /** Between two events of `/stats/stream`; 1000 by default. */
  streamIntervalMs?: number;
}

/** One Server-Sent Event. Pure. */
export function sseEvent(event: string, data: unknown): string {
  // JSON has no raw newlines, so the data is one `data:` line.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createStatsHandler(options: StatsHandlerOptions): (req: Request) => Response {
  const interval = options.streamIntervalMs ?? 1000;
  const requests = options.metrics.counter("http_requests_total", "HTTP requests by route", [
    "route",
    "code",
  ]);
  const answer = (route: string, res: Response) => {
    requests.inc({ route, code: res.status });
    return res;
  };
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json; charset=utf-8", ...CORS },
    });

  const stream = (signal: AbortSignal) => {
    const encoder = new TextEncoder();
    let timer: ReturnType<typeof setInterval> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const push = () => {
          const snap = options.snapshot();
          try {
            controller.enqueue(
              encoder.encode(
                snap === undefined ? ": no snapshot yet\n\n" : sseEvent("stats", snap),
              ),
            );
          } catch {
            clearInterval(timer);
          }
        };
        // Tells EventSource how soon to reconnect after the aggregator restarts.
        controller.enqueue(encoder.encode("retry: 2000\n\n"));
        push();
        timer = setInterval(push, interval);
        signal.addEventListener("abort", () => {
          clearInterval(timer);
          try {
            controller.close();
          } catch { /* already closed */ }
        }, { once: true });
      },
      cancel() {
        clearInterval(timer);
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        ...CORS,
      },
    });
  };

  return (req) => {
    const { pathname } = new URL(req.url);
    const route = ["/stats", "/stats/stream", "/healthz", "/metrics"].includes(pathname)
      ? pathname
      : "other";
    if (req.method !== "GET" && req.method !== "HEAD") {
      return answer(route, json({ error: `${req.method} is not allowed; use GET` }, 405));
    }
    switch (route) {
      case "/stats": {
        const snap = options.snapshot();
        return answer(
          route,
          snap === undefined
            ? json({ error: "no snapshot yet: the aggregator is starting" }, 503)
            : json(snap),
        );
      }
      case "/stats/stream":
        return answer(route, stream(req.signal));
      case "/healthz": {
        const ok = options.healthy();
        return answer(route, json({ ok }, ok ? 200 : 503));
      }
      case "/metrics":
        return answer(
          route,
          new Response(options.metrics.render(), {
            headers: { "content-type": METRICS_CONTENT_TYPE },
          }),
        );
      default:
        return answer(route, json({ error: `no such resource: ${pathname}; try /stats` }, 404));
    }
  };
}
