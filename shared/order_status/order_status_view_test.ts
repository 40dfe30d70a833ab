import assert from "node:assert/strict";
import { type OrderStatusEvent, statusEvent } from "../orders/status_event.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import { createStatusHandler, OrderStatusView, summarize } from "./order_status_view.ts";

const delivery = (orderId: string, key: string, status: string, at: number, detail = {}) =>
  statusEvent({ source: "delivery", orderId, key, status, at, detail });
const line = (orderId: string, lineIndex: number, status: string, at = 1) =>
  statusEvent({
    source: "inventory",
    orderId,
    key: String(lineIndex),
    status,
    at,
    detail: { lineIndex },
  });

Deno.test("an order's status is its delivery's latest; rejected events change nothing", () => {
  const history = [
    delivery("o-1", "scheduled:o-1", "scheduled", 1),
    delivery("o-1", "o-1:dispatched", "dispatched", 2),
    delivery("o-1", "x", "rejected", 3, { reason: "cannot go from dispatched to scheduled" }),
  ];
  const v = summarize("o-1", history);
  assert.equal(v.status, "dispatched");
  assert.deepEqual(v.delivery, { status: "dispatched", updatedAt: 2 });
  assert.equal(v.updatedAt, 3);
  assert.deepEqual(v.history, history);
  assert.equal(summarize("o-2", [delivery("o-2", "x", "rejected", 1)]).status, "rejected");
});

Deno.test("without a delivery, the status sums up the inventory lines", () => {
  assert.equal(
    summarize("o", [line("o", 0, "reserved"), line("o", 1, "reserved")]).status,
    "reserved",
  );
  const partial = summarize("o", [line("o", 0, "reserved"), line("o", 1, "refused")]);
  assert.equal(partial.status, "partially_refused");
  assert.deepEqual(partial.inventory, {
    lines: { "0": "reserved", "1": "refused" },
    counts: { reserved: 1, refused: 1 },
  });
  assert.equal(
    summarize("o", [line("o", 0, "restocked"), line("o", 1, "released")]).status,
    "mixed",
  );
});

Deno.test("the view keeps each event once, per order, in stream order", () => {
  const view = new OrderStatusView();
  const a = delivery("o-1", "scheduled:o-1", "scheduled", 1);
  const b = delivery("o-1", "o-1:dispatched", "dispatched", 2);
  assert.equal(view.add(a), "added");
  assert.equal(view.add(b), "added");
  assert.equal(view.add({ ...a }), "duplicate", "a republished event is recognised");
  assert.equal(view.add(line("o-2", 0, "reserved")), "added");
  assert.deepEqual(view.get("o-1")?.history, [a, b]);
  assert.equal(view.get("o-1")?.status, "dispatched");
  assert.equal(view.get("nope"), undefined);
  assert.equal(view.orders, 2);
  assert.equal(view.events, 3);
});

Deno.test("the handler answers GET /orders/:id, /healthz, /metrics, and errors in JSON", async () => {
  const view = new OrderStatusView();
  const metrics = new MetricsRegistry({ script: "order_status_service" });
  let healthy = false;
  const handle = createStatusHandler({ view, metrics, healthy: () => healthy });
  const get = (path: string, method = "GET") =>
    handle(new Request(`http://localhost${path}`, { method }));
  const events: OrderStatusEvent[] = [
    delivery("o 1/x", "scheduled", "scheduled", 1),
    delivery("o 1/x", "d", "delivered", 2),
  ];
  for (const e of events) view.add(e);

  const found = get(`/orders/${encodeURIComponent("o 1/x")}`);
  assert.equal(found.status, 200);
  assert.match(found.headers.get("content-type")!, /application\/json/);
  const body = await found.json();
  assert.equal(body.orderId, "o 1/x");
  assert.equal(body.status, "delivered");
  assert.deepEqual(body.history, events);

  const missing = get("/orders/o-404");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /o-404/);
  assert.equal(get("/orders/").status, 404);
  assert.equal(get("/orders/%E0%A4%A").status, 400);
  assert.equal(get("/elsewhere").status, 404);
  const post = get("/orders/o-1", "POST");
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");

  assert.equal(get("/healthz").status, 503, "not fed yet");
  healthy = true;
  const health = get("/healthz");
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true, orders: 1, events: 2 });

  const text = await get("/metrics").text();
  assert.match(
    text,
    /http_requests_total\{script="order_status_service",route="\/orders\/:id",code="200"\} 1/,
  );
  assert.match(text, /code="404"\} 2/);
});
