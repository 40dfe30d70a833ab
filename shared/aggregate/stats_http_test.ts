import assert from "node:assert/strict";
import { MetricsRegistry } from "../platform/metrics.ts";
import { createStatsHandler, sseEvent } from "./stats_http.ts";

const handlerWith = (snap: unknown, healthy = true) =>
  createStatsHandler({
    snapshot: () => snap,
    metrics: new MetricsRegistry(),
    healthy: () => healthy,
    streamIntervalMs: 20,
  });

Deno.test("GET /stats answers the snapshot as JSON, 503 before the first", async () => {
  const res = handlerWith({ records: 3 })(new Request("http://x/stats"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.deepEqual(await res.json(), { records: 3 });
  const none = handlerWith(undefined)(new Request("http://x/stats"));
  assert.equal(none.status, 503);
  await none.body?.cancel();
});

Deno.test("GET /stats/stream sends the snapshot at once and then on an interval", async () => {
  let n = 0;
  const handler = createStatsHandler({
    snapshot: () => ({ n: n++ }),
    metrics: new MetricsRegistry(),
    healthy: () => true,
    streamIntervalMs: 20,
  });
  const abort = new AbortController();
  const res = handler(new Request("http://x/stats/stream", { signal: abort.signal }));
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while ((text.match(/event: stats/g) ?? []).length < 3) text += (await reader.read()).value;
  abort.abort();
  await reader.cancel();
  assert.match(text, /^retry: 2000\n\n/);
  assert.match(text, /event: stats\ndata: \{"n":0\}\n\n/);
  assert.match(text, /event: stats\ndata: \{"n":2\}\n\n/);
});

Deno.test("healthz, metrics, 404 and 405", async () => {
  const h = handlerWith({}, false);
  const health = h(new Request("http://x/healthz"));
  assert.equal(health.status, 503);
  await health.body?.cancel();
  const metrics = h(new Request("http://x/metrics"));
  assert.match(await metrics.text(), /http_requests_total/);
  const missing = h(new Request("http://x/nope"));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const post = h(new Request("http://x/stats", { method: "POST" }));
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

Deno.test("sseEvent is one event of one data line", () => {
  assert.equal(sseEvent("stats", { a: "x\ny" }), 'event: stats\ndata: {"a":"x\\ny"}\n\n');
});
