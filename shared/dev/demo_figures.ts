/**
 * What the demo reads back from the processes it runs: the figures of
 * their `/metrics` (shared/dev/supervisor.ts's scrape), the aggregator's
 * closing statistics (`GET /stats`), and the load generator's closing
 * totals line from its log. Each source may be down: a missing figure is 0,
 * missing statistics are undefined.
 *
 * @example
 * ```ts
 * import { figures } from "./demo_figures.ts";
 * const url = "http://127.0.0.1:1/metrics";
 * const now = await figures(
 *   { inventory: url, delivery: url, inventoryConsumer: url, deliveryConsumer: url },
 *   "http://127.0.0.1:1/stats",
 * );
 * now.rawOrdersConsumed; // 0: nothing answers there
 * ```
 * @module
 */
import { scrapeCounter } from "./supervisor.ts";

/** The `/metrics` pages the figures come from. */
export interface DemoMetricsUrls {
  inventory: string;
  delivery: string;
  inventoryConsumer: string;
  deliveryConsumer: string;
}

/** Seed 004's closing lines, from the aggregator: processed, retried, dead-lettered, average. */
export async function finalStatistics(statsUrl: string): Promise<string | undefined> {
  const s = await fetch(statsUrl).then((r) => r.json()).catch(() => undefined) as
    | {
      orders: {
        count: number;
        value: number;
        averagePrice: number;
        invalid: number;
        unparseable: number;
      };
      status: { processed: number };
      retried: { total: number };
      deadLettered: { total: number };
    }
    | undefined;
  if (!s?.orders) return undefined;
  const money = (n: number) => n.toLocaleString("en-US", { minimumFractionDigits: 2 });
  return [
    "Final statistics (the aggregator)",
    `  Total orders processed   ${s.orders.count}`,
    `  Invalid orders           ${s.orders.invalid + s.orders.unparseable}`,
    `  Total price sum          ${money(s.orders.value)}`,
    `  Final running average    ${money(s.orders.averagePrice)}`,
    `  Status events processed  ${s.status.processed}`,
    `  Retried (hand-offs)      ${s.retried.total}`,
    `  Dead-lettered            ${s.deadLettered.total}`,
    "",
  ].join("\n");
}

/** The figures the demo reads from its scripts' /metrics. */
export async function figures(urls: DemoMetricsUrls, statsUrl: string) {
  const events = (url: string, status: string) =>
    scrapeCounter(url, "consumer_status_events_total", { status }).then((n) => n ?? 0);
  const [consumed, inventory, inventoryRecords, delivery, deadInv, deadDel, skipped] = await Promise
    .all([
      scrapeCounter(urls.inventory, "router_consumed_total"),
      scrapeCounter(urls.inventory, "router_routed_orders_total"),
      scrapeCounter(urls.inventory, "router_routed_records_total"),
      scrapeCounter(urls.delivery, "router_routed_orders_total"),
      scrapeCounter(urls.inventory, "router_dead_lettered_total"),
      scrapeCounter(urls.delivery, "router_dead_lettered_total"),
      scrapeCounter(urls.delivery, "router_skipped_total"),
    ]);
  const stock = await Promise.all(
    ["reserved", "refused", "restocked", "released"].map((s) => events(urls.inventoryConsumer, s)),
  );
  const deliveries = await Promise.all(
    ["scheduled", "delivered", "failed", "rejected"].map((s) => events(urls.deliveryConsumer, s)),
  );
  const handOffs = (outcome: string) =>
    Promise.all(
      [urls.inventoryConsumer, urls.deliveryConsumer].map((url) =>
        scrapeCounter(url, "retry_handoffs_total", { outcome }).then((n) => n ?? 0)
      ),
    ).then(([a, b]) => a + b);
  const [retried, consumerDead] = await Promise.all([
    handOffs("retry"),
    handOffs("dead-letter"),
  ]);
  const stats = await fetch(statsUrl).then((r) => r.json()).catch(() => undefined) as
    | { orders?: { count?: number; averagePrice?: number } }
    | undefined;
  return {
    rawOrdersConsumed: consumed ?? 0,
    inventoryOrdersRouted: inventory ?? 0,
    stockMovements: inventoryRecords ?? 0,
    deliveryOrdersRouted: delivery ?? 0,
    deadLettered: (deadInv ?? 0) + (deadDel ?? 0),
    otherTypesSkipped: skipped ?? 0,
    stockReserved: stock[0],
    stockRefused: stock[1],
    stockRestocked: stock[2],
    stockReleased: stock[3],
    deliveriesScheduled: deliveries[0],
    deliveriesDelivered: deliveries[1],
    deliveriesFailed: deliveries[2],
    deliveryEventsRejected: deliveries[3],
    consumerAttemptsRetried: retried,
    consumerDeadLettered: consumerDead,
    aggregatorOrders: stats?.orders?.count ?? 0,
    averageOrderPrice: stats?.orders?.averagePrice ?? 0,
  };
}

/** The figures of {@linkcode figures}, by name. */
export type DemoFigures = Awaited<ReturnType<typeof figures>>;

/** The generator's closing totals: orders sent, and by type. */
export interface GeneratorTotals {
  sent: number;
  byType: Record<string, number>;
}

/** The generator's closing totals line (JSON on its stdout), from its log. */
export async function generatorTotals(logFile: string): Promise<GeneratorTotals | undefined> {
  const lines = (await Deno.readTextFile(logFile).catch(() => "")).split("\n");
  for (const line of lines.reverse()) {
    if (!line.startsWith('{"seed"')) continue;
    try {
      return JSON.parse(line);
    } catch { /* a torn line */ }
  }
  return undefined;
}

/**
 * The demo's final figures: the orders generated first, the scripts'
 * figures, and the generated orders of types neither producer routes
 * last; 0 generated without a generator. Pure.
 */
export function finalFigures(
  generated: GeneratorTotals | undefined,
  scripts: DemoFigures,
): Record<string, number> {
  return {
    ordersGenerated: generated?.sent ?? 0,
    ...scripts,
    otherTypesGenerated: generated
      ? generated.sent - (generated.byType.inventory ?? 0) - (generated.byType.delivery ?? 0)
      : 0,
  };
}

/** The text of the final figures: a heading, then `  name  value` a line, blank lines around. Pure. */
export function finalFiguresText(final: Record<string, number>): string {
  return "\nFinal figures\n" +
    Object.entries(final).map(([k, v]) => `  ${k.padEnd(22)} ${v}`).join("\n") + "\n";
}
