import assert from "node:assert/strict";
import { repeat } from "./collector.ts";
import { ProcessScraper, StatsSource } from "./collector_sources.ts";
import { createLogger } from "../platform/log.ts";
import { statsSnapshot } from "../aggregate/snapshot.ts";
import { emptyState } from "../aggregate/state.ts";

/** A local HTTP server answering `answer` to every request, for the duration of `use`. */
async function withServer(
  answer: (req: Request) => Response,
  use: (base: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, answer);
  try {
    await use(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("repeat runs its step until the signal aborts, logging a failing step and going on", async () => {
  const lines: string[] = [];
  const log = createLogger({ name: "t", level: "debug", write: (l) => void lines.push(l) });
  const stop = new AbortController();
  let runs = 0;
  await repeat(
    1,
    async () => {
      runs++;
      if (runs === 1) throw new Error("down");
      if (runs === 3) stop.abort();
      await Promise.resolve();
    },
    stop.signal,
    log,
  );
  assert.equal(runs, 3);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /a dashboard source failed/);
});

Deno.test("the stats source is down with the HTTP status until the aggregator answers", async () => {
  const snapshot = statsSnapshot(emptyState(), { topN: 5 });
  let status = 503;
  await withServer(
    () => status === 200 ? Response.json(snapshot) : new Response("no", { status }),
    async (base) => {
      const stats = new StatsSource(base);
      assert.deepEqual({ ...stats.status }, { ok: false, at: `${base}/stats`, lastOkAt: null });
      await stats.poll();
      assert.equal(stats.status.error, "HTTP 503");
      assert.equal(stats.snapshot, undefined);
      status = 200;
      await stats.poll();
      assert.equal(stats.status.ok, true);
      assert.equal(stats.status.error, undefined);
      assert.deepEqual(stats.snapshot, snapshot);
    },
  );
});

Deno.test("the scraper keeps one row per target, down when the page does not answer", async () => {
  await withServer(
    (req) =>
      new URL(req.url).pathname === "/metrics"
        ? new Response("# nothing yet\n")
        : new Response("", { status: 404 }),
    async (base) => {
      const scraper = new ProcessScraper([
        { name: "up", url: `${base}/metrics` },
        { name: "missing", url: `${base}/nothing` },
      ]);
      await scraper.scrape();
      assert.deepEqual([...scraper.rows.keys()].sort(), ["missing", "up"]);
      assert.equal(scraper.rows.get("up")!.up, true);
      assert.equal(scraper.rows.get("missing")!.up, false);
    },
  );
});
