import assert from "node:assert/strict";
import type { DashboardState } from "./collector.ts";
import { createDashboardHandler, type DashboardBackend, loadStaticFiles } from "./http.ts";
import type { LoadStatus } from "./load_control.ts";

function fakeBackend(): DashboardBackend & { replays: unknown[] } {
  const load: LoadStatus = {
    running: false,
    rate: 0,
    sent: 0,
    invalid: 0,
    failed: 0,
    startedAt: null,
  };
  const replays: unknown[] = [];
  return {
    replays,
    state: () => ({ uptimeSeconds: 3 }) as unknown as DashboardState,
    replay: (request) => {
      replays.push(request);
      // The group "invalid" all failed validation: refused unless forced.
      const refused = request.rule === "invalid" && !request.force;
      return Promise.resolve({
        ...request,
        matched: 2,
        alreadyReplayed: 0,
        unroutable: 0,
        replayed: refused ? 0 : 2,
        to: { orders: 2 },
        elapsedMs: 1,
        refused,
        ...(refused ? { validationWarning: "all 2 records to replay failed validation" } : {}),
      });
    },
    refreshDlq: () => Promise.resolve([]),
    startLoad: (rate) => ({ ...load, running: true, rate }),
    stopLoad: () => Promise.resolve(load),
    dlqTopics: ["orders-dlq"],
    maxRate: 100,
    healthy: () => true,
  };
}

const post = (path: string, body: unknown, method = "POST") =>
  new Request(`http://dash${path}`, { method, body: JSON.stringify(body) });

Deno.test("the page and its files are served as they are", async () => {
  const handler = createDashboardHandler({
    backend: fakeBackend(),
    files: await loadStaticFiles(),
  });
  const page = await handler(new Request("http://dash/"));
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type")!, /text\/html/);
  assert.match(await page.text(), /<title>Order pipeline/);
  const js = await handler(new Request("http://dash/static/app.js"));
  assert.match(js.headers.get("content-type")!, /javascript/);
  await js.body?.cancel();
  const missing = await handler(new Request("http://dash/static/../../deno.json"));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("the API checks its requests and hands them on", async () => {
  const backend = fakeBackend();
  const handler = createDashboardHandler({ backend, files: new Map() });
  const state = await handler(new Request("http://dash/api/state"));
  assert.deepEqual(await state.json(), { uptimeSeconds: 3 });
  const replay = await handler(post("/api/dlq/replay", { topic: "orders-dlq", rule: "r" }));
  assert.equal((await replay.json()).replayed, 2);
  assert.deepEqual(backend.replays, [{ topic: "orders-dlq", rule: "r", force: false }]);
  // A group that all failed validation: 409 with the warning, then forced.
  const refused = await handler(post("/api/dlq/replay", { topic: "orders-dlq", rule: "invalid" }));
  assert.equal(refused.status, 409);
  assert.match((await refused.json()).error, /^all 2 records to replay failed validation/);
  const forced = await handler(
    post("/api/dlq/replay", { topic: "orders-dlq", rule: "invalid", force: true }),
  );
  assert.deepEqual([forced.status, (await forced.json()).replayed], [200, 2]);
  const badTopic = await handler(post("/api/dlq/replay", { topic: "other", rule: "r" }));
  assert.equal(badTopic.status, 400);
  assert.match((await badTopic.json()).error, /^topic:/);
  const started = await handler(post("/api/load", { rate: 5 }));
  assert.deepEqual([(await started.json()).rate], [5]);
  const tooFast = await handler(post("/api/load", { rate: 1000 }));
  assert.equal(tooFast.status, 400);
  await tooFast.body?.cancel();
  const stopped = await handler(new Request("http://dash/api/load", { method: "DELETE" }));
  assert.equal((await stopped.json()).running, false);
  const wrong = await handler(new Request("http://dash/api/dlq/replay"));
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST");
  await wrong.body?.cancel();
  const none = await handler(new Request("http://dash/nope"));
  assert.equal(none.status, 404);
  await none.body?.cancel();
});

Deno.test("the stream sends the state at once, and ends when the server stops", async () => {
  const stop = new AbortController();
  const handler = createDashboardHandler({
    backend: fakeBackend(),
    files: new Map(),
    signal: stop.signal,
    streamIntervalMs: 10_000,
  });
  const res = await handler(new Request("http://dash/api/stream"));
  assert.match(res.headers.get("content-type")!, /text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("event: state")) text += (await reader.read()).value;
  assert.match(text, /data: \{"uptimeSeconds":3\}/);
  stop.abort();
  while (!(await reader.read()).done) { /* drain */ }
});
