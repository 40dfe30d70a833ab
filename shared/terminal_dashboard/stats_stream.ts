/**
 * The terminal dashboard's link to the aggregator: one `GET /stats` (for
 * `--once`), or `GET /stats/stream` (Server-Sent Events, one `stats` event
 * a second) followed for as long as the dashboard runs, reconnecting after
 * the aggregator restarts or the network drops, and telling the caller the
 * state of the connection as it changes.
 *
 * @example
 * ```ts
 * import { statsEndpoints, watchStats } from "./stats_stream.ts";
 * statsEndpoints("http://127.0.0.1:8083").stream; // "http://127.0.0.1:8083/stats/stream"
 * const stop = new AbortController();
 * // await watchStats({
 * //   statsUrl: "http://127.0.0.1:8083",
 * //   signal: stop.signal,
 * //   onSnapshot: (s) => console.log(s.orders.count),
 * //   onState: (state) => console.log(state.kind),
 * // });
 * ```
 * @module
 */
import type { StatsSnapshot } from "../aggregate/snapshot.ts";
import { sleep } from "../platform/shutdown.ts";
import type { ConnectionState } from "./render.ts";
import { SseParser } from "./sse.ts";

/** The aggregator's two addresses, from its base URL (a trailing `/stats...` is tolerated). */
export function statsEndpoints(base: string): { snapshot: string; stream: string } {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/stats(\/stream)?\/?$/, "").replace(/\/$/, "");
  url.search = "";
  const root = url.toString().replace(/\/$/, "");
  return { snapshot: `${root}/stats`, stream: `${root}/stats/stream` };
}

/** An error as a few words for the status line (fetch's are long). */
export function shortError(err: unknown): string {
  // fetch says "fetch failed" and keeps the reason in its cause chain.
  let message = "";
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    message += (message ? ": " : "") + (e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  if (/connection refused/i.test(message)) return "connection refused";
  if (/dns error|failed to lookup|name or service not known/i.test(message)) {
    return "unknown host";
  }
  if (/timed? ?out/i.test(message)) return "timed out";
  return message.length > 60 ? message.slice(0, 57) + "..." : message;
}

/** Why a reply is not a snapshot stream: its status and, when JSON, its `error`. */
async function refusal(res: Response): Promise<Error> {
  const body = await res.text().catch(() => "");
  let reason = body.trim().slice(0, 80);
  try {
    reason = JSON.parse(body).error ?? reason;
  } catch { /* not JSON */ }
  return new Error(`HTTP ${res.status}${reason ? `: ${reason}` : ""}`);
}

/** The latest snapshot, once; throws with a short reason when there is none. */
export async function fetchSnapshot(
  statsUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<StatsSnapshot> {
  const res = await fetch(statsEndpoints(statsUrl).snapshot, {
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
  }).catch((err) => {
    throw new Error(shortError(err));
  });
  if (!res.ok) throw await refusal(res);
  return await res.json() as StatsSnapshot;
}

export interface WatchOptions {
  statsUrl: string;
  /** Stops watching; `watchStats` then resolves. */
  signal: AbortSignal;
  onSnapshot(snapshot: StatsSnapshot): void;
  onState(state: ConnectionState): void;
  /** A connection with no byte for this long is dropped and made again; 10 s by default. */
  silenceMs?: number;
  /** The first wait before reconnecting, unless the stream says (`retry:`); doubles to 10 s. */
  retryMs?: number;
}

const MAX_RETRY_MS = 10_000;

/** Follows the stream until `signal` aborts; see the module doc. */
export async function watchStats(options: WatchOptions): Promise<void> {
  const { signal } = options;
  const url = statsEndpoints(options.statsUrl).stream;
  const silenceMs = options.silenceMs ?? 10_000;
  let failures = 0;
  let serverRetry: number | undefined;
  options.onState({ kind: "connecting" });
  while (!signal.aborted) {
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener("abort", stop, { once: true });
    let lastByteAt = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastByteAt > silenceMs) connection.abort(new Error("no data"));
    }, Math.min(1000, silenceMs));
    let error: string;
    try {
      const res = await fetch(url, {
        signal: connection.signal,
        headers: { accept: "text/event-stream" },
      });
      if (!res.ok || !res.body) throw await refusal(res);
      const parser = new SseParser();
      for await (const text of res.body.pipeThrough(new TextDecoderStream())) {
        lastByteAt = Date.now();
        for (const event of parser.push(text)) {
          if (event.event !== "stats") continue;
          options.onSnapshot(JSON.parse(event.data) as StatsSnapshot);
          options.onState({ kind: "live", lastEventAt: Date.now() });
          failures = 0;
        }
        serverRetry = parser.retryMs ?? serverRetry;
      }
      error = "stream ended";
    } catch (err) {
      const reason = connection.signal.reason;
      error = connection.signal.aborted && reason instanceof Error
        ? reason.message
        : shortError(err);
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener("abort", stop);
    }
    if (signal.aborted) break;
    failures++;
    const wait = Math.min(
      MAX_RETRY_MS,
      (serverRetry ?? options.retryMs ?? 2000) * 2 ** Math.max(0, failures - 1),
    );
    options.onState({ kind: "reconnecting", error, retryAt: Date.now() + wait });
    await sleep(wait, signal);
    if (!signal.aborted) options.onState({ kind: "connecting" });
  }
}
