import assert from "node:assert/strict";
import { createStatsHandler } from "../aggregate/stats_http.ts";
import type { StatsSnapshot } from "../aggregate/snapshot.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import type { ConnectionState } from "./render.ts";
import { SAMPLE_SNAPSHOT } from "./sample_snapshot.ts";
import { fetchSnapshot, shortError, statsEndpoints, watchStats } from "./stats_stream.ts";

/**
 * The aggregator's real HTTP face over a snapshot the test controls.
 * `close` ends the open streams first, as the aggregator's exit does
 * (a graceful shutdown alone would wait for them forever).
 */
function statsServer(options: { port?: number; snapshot: () => unknown }) {
  const handler = createStatsHandler({
    snapshot: options.snapshot,
    metrics: new MetricsRegistry(),
    healthy: () => true,
    streamIntervalMs: 50,
  });
  const closing = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    (req) => handler(new Request(req, { signal: AbortSignal.any([req.signal, closing.signal]) })),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    close: () => {
      closing.abort();
      return server.shutdown();
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("endpoints: from the base address, with or without /stats", () => {
  for (
    const base of [
      "http://h:8083",
      "http://h:8083/",
      "http://h:8083/stats",
      "http://h:8083/stats/stream",
    ]
  ) {
    assert.deepEqual(statsEndpoints(base), {
      snapshot: "http://h:8083/stats",
      stream: "http://h:8083/stats/stream",
    });
  }
  assert.equal(statsEndpoints("http://proxy/agg/").stream, "http://proxy/agg/stats/stream");
  assert.equal(
    shortError(
      new TypeError("error sending request: tcp connect error: Connection refused (os error 111)"),
    ),
    "connection refused",
  );
});

Deno.test("fetchSnapshot: the snapshot, or the aggregator's reason for having none", async () => {
  let snapshot: unknown = undefined;
  const { close, url } = statsServer({ snapshot: () => snapshot });
  try {
    await assert.rejects(fetchSnapshot(url), /HTTP 503: no snapshot yet/);
    snapshot = SAMPLE_SNAPSHOT;
    assert.deepEqual(await fetchSnapshot(url), SAMPLE_SNAPSHOT);
  } finally {
    await close();
  }
  await assert.rejects(fetchSnapshot(url), /connection refused/);
});

Deno.test("watchStats: snapshots as they come, reconnecting after the aggregator restarts", async () => {
  let records = 1;
  const snapshot = () => ({ ...SAMPLE_SNAPSHOT, records });
  let first = statsServer({ snapshot });
  const port = first.port;
  const states: ConnectionState["kind"][] = [];
  let latest: StatsSnapshot | undefined;
  const stop = new AbortController();
  const watching = watchStats({
    statsUrl: first.url,
    signal: stop.signal,
    retryMs: 100,
    onSnapshot: (s) => latest = s,
    onState: (s) => {
      if (states.at(-1) !== s.kind) states.push(s.kind);
    },
  });
  try {
    await until("the first snapshot", () => latest?.records === 1);
    records = 2;
    await until("a later snapshot", () => latest?.records === 2);
    await first.close();
    await until("reconnecting", () => states.at(-1) === "reconnecting");
    records = 3;
    first = statsServer({ snapshot, port });
    await until("the restarted aggregator's snapshot", () => latest?.records === 3);
    assert.deepEqual(states.slice(0, 4), ["connecting", "live", "reconnecting", "connecting"]);
    assert.equal(states.at(-1), "live");
  } finally {
    stop.abort();
    await watching;
    await first.close();
  }
});

Deno.test("watchStats: a silent connection is dropped and made again", async () => {
  // Accepts the stream and then says nothing: a half-open connection, as after a network cut.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(new ReadableStream({ start() {} }), {
        headers: { "content-type": "text/event-stream" },
      }),
  );
  const errors: string[] = [];
  const stop = new AbortController();
  const watching = watchStats({
    statsUrl: `http://127.0.0.1:${server.addr.port}`,
    signal: stop.signal,
    silenceMs: 200,
    retryMs: 50,
    onSnapshot: () => {},
    onState: (s) => {
      if (s.kind === "reconnecting") errors.push(s.error);
    },
  });
  try {
    await until("two dropped connections", () => errors.length >= 2);
    assert.equal(errors[0], "no data");
  } finally {
    stop.abort();
    await watching;
    await server.shutdown();
  }
});
