/**
 * The order status you can ask for: an in-memory view of the `order_status`
 * stream, keyed by order id and deduplicated by event id, and the HTTP
 * handler that serves it (`GET /orders/:id`, `GET /healthz`,
 * `GET /metrics`). scripts/order_status_service.ts feeds it from Kafka.
 *
 * An order's `status` is its delivery's latest status when it has a
 * delivery (a `rejected` event changes nothing, so it is skipped), else a
 * summary of its inventory lines: their common status (`reserved`,
 * `refused`, …) or `partially_refused` when some lines were refused and
 * others not.
 *
 * @example
 * ```ts
 * import { OrderStatusView } from "./order_status_view.ts";
 * const view = new OrderStatusView();
 * view.add({ eventId: "delivery:o-1:scheduled:o-1", orderId: "o-1", source: "delivery", status: "scheduled", at: 1 });
 * view.get("o-1")?.status; // "scheduled"
 * ```
 * @module
 */
import type { OrderStatusEvent } from "../orders/status_event.ts";
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from "../platform/metrics.ts";

/** What `GET /orders/:id` answers. */
export interface OrderView {
  orderId: string;
  /** The delivery's latest status, or the inventory summary; see the module doc. */
  status: string;
  /** Epoch ms of the latest event. */
  updatedAt: number;
  delivery?: { status: string; updatedAt: number };
  inventory?: {
    /** Each line's latest status, by line index. */
    lines: Record<string, string>;
    /** How many lines have each status. */
    counts: Record<string, number>;
  };
  /** Every event of the order, in the order the stream has them (one partition per order). */
  history: OrderStatusEvent[];
}

/** The status of an order from its history; see the module doc. Pure. */
export function summarize(orderId: string, history: readonly OrderStatusEvent[]): OrderView {
  let delivery: OrderView["delivery"];
  let deliveryEvents = 0;
  const lines: Record<string, string> = {};
  for (const e of history) {
    if (e.source === "delivery") {
      deliveryEvents++;
      if (e.status !== "rejected") delivery = { status: e.status, updatedAt: e.at };
    } else if (e.source === "inventory") {
      const line = e.detail?.lineIndex ?? e.eventId.split(":").at(-1);
      lines[String(line)] = e.status;
    }
  }
  const counts: Record<string, number> = {};
  for (const s of Object.values(lines)) counts[s] = (counts[s] ?? 0) + 1;
  const inventory = Object.keys(lines).length ? { lines, counts } : undefined;
  let status: string;
  if (delivery) status = delivery.status;
  else if (deliveryEvents > 0) status = "rejected";
  else {
    const kinds = Object.keys(counts);
    status = kinds.length === 1
      ? kinds[0]
      : kinds.includes("refused")
      ? "partially_refused"
      : kinds.length
      ? "mixed"
      : "unknown";
  }
  return {
    orderId,
    status,
    updatedAt: Math.max(...history.map((e) => e.at)),
    ...(delivery ? { delivery } : {}),
    ...(inventory ? { inventory } : {}),
    history: [...history],
  };
}

/** The view: every order's events, each event once. */
export class OrderStatusView {
  readonly #orders = new Map<string, OrderStatusEvent[]>();
  readonly #seen = new Set<string>();

  /** Adds an event; a republished one (same eventId) changes nothing. */
  add(event: OrderStatusEvent): "added" | "duplicate" {
    if (this.#seen.has(event.eventId)) return "duplicate";
    this.#seen.add(event.eventId);
    const history = this.#orders.get(event.orderId);
    if (history) history.push(event);
    else this.#orders.set(event.orderId, [event]);
    return "added";
  }

  /** An order's status and history; undefined when the stream never named it. */
  get(orderId: string): OrderView | undefined {
    const history = this.#orders.get(orderId);
    return history ? summarize(orderId, history) : undefined;
  }

  /** Orders in the view. */
  get orders(): number {
    return this.#orders.size;
  }

  /** Distinct events in the view. */
  get events(): number {
    return this.#seen.size;
  }
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  // A read-only API: the dashboard (another origin) may ask it.
  "access-control-allow-origin": "*",
};

function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...extra } });
}

/** The HTTP handler of the order status service. */
export function createStatusHandler(options: {
  view: OrderStatusView;
  metrics: MetricsRegistry;
  /** Whether the view is being fed (the consumer is in its group). */
  healthy: () => boolean;
}): (req: Request) => Response {
  const { view, metrics } = options;
  const requests = metrics.counter("http_requests_total", "HTTP requests by route and status", [
    "route",
    "code",
  ]);
  const answer = (route: string, res: Response) => {
    requests.inc({ route, code: res.status });
    return res;
  };
  return (req) => {
    const { pathname } = new URL(req.url);
    const route = pathname.startsWith("/orders/")
      ? "/orders/:id"
      : ["/healthz", "/metrics"].includes(pathname)
      ? pathname
      : "other";
    if (req.method !== "GET" && req.method !== "HEAD") {
      return answer(
        route,
        json({ error: `${req.method} is not allowed; use GET` }, 405, { allow: "GET, HEAD" }),
      );
    }
    if (route === "/orders/:id") {
      const raw = pathname.slice("/orders/".length);
      if (raw === "" || raw.includes("/")) {
        return answer(route, json({ error: "use GET /orders/<order id>" }, 404));
      }
      let id: string;
      try {
        id = decodeURIComponent(raw);
      } catch {
        return answer(route, json({ error: "the order id is not valid URL encoding" }, 400));
      }
      const order = view.get(id);
      return answer(
        route,
        order ? json(order) : json({ error: `no status known for order ${id}` }, 404),
      );
    }
    if (route === "/healthz") {
      const ok = options.healthy();
      return answer(route, json({ ok, orders: view.orders, events: view.events }, ok ? 200 : 503));
    }
    if (route === "/metrics") {
      return answer(
        route,
        new Response(metrics.render(), { headers: { "content-type": METRICS_CONTENT_TYPE } }),
      );
    }
    return answer(route, json({ error: `no such resource: ${pathname}` }, 404));
  };
}
