import assert from "node:assert/strict";
import { createLogger } from "../platform/log.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import { OrderStatusView } from "./order_status_view.ts";
import { createStatusFeed } from "./feed.ts";
import { statusEvent } from "../orders/status_event.ts";

Deno.test("the feed puts each status event in the view and counts what is not one", () => {
  const view = new OrderStatusView();
  const metrics = new MetricsRegistry();
  const lines: string[] = [];
  const feed = createStatusFeed(
    view,
    metrics,
    createLogger({ name: "t", write: (l) => lines.push(l) }),
  );
  const event = statusEvent({
    source: "inventory",
    orderId: "o-1",
    key: "reserved:o-1",
    status: "reserved",
    at: 1,
    detail: {},
  });
  feed([
    { partition: 2, offset: "0", value: new TextEncoder().encode(JSON.stringify(event)) },
    { partition: 2, offset: "1", value: new TextEncoder().encode("not json") },
  ]);
  assert.equal(view.orders, 1);
  const text = metrics.render();
  assert.match(text, /status_events_total\{result="invalid"\} 1/);
  assert.match(text, /status_view_orders 1/);
  assert.ok(lines.some((l) => l.includes("not a status event") && l.includes('"offset":"1"')));
});
