/**
 * The clickstream: a product view on the storefront, as the `clicks` topic
 * carries it (JSON, keyed by user id, so one user's views stay in order on
 * one partition), and a seeded generator that invents plausible views around
 * generated orders: a few views per order by the order's customer, some of
 * them of the products the order then buys (views that "lead to the order"),
 * some by other users who only browse.
 *
 * A view's `userId` is the same id space as an order's `customerId`, which is
 * what lets the aggregator relate views to orders (view-to-order conversion).
 *
 * @example
 * ```ts
 * import { DEFAULT_CATALOG } from "./catalog.ts";
 * import { createClickGenerator, clickMessage } from "./clicks.ts";
 * const clicks = createClickGenerator({ seed: 42, catalog: DEFAULT_CATALOG, viewsPerOrder: 3 });
 * const views = clicks.forOrder({
 *   orderId: "ord-42-1",
 *   type: "delivery",
 *   customerId: "cust-7",
 *   items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 24.99 }],
 *   createdAt: "2024-06-18T12:35:56Z",
 * });
 * clickMessage(views[0]).key; // the viewer's user id, e.g. "cust-7"
 * ```
 * @module
 */
import type { Catalog } from "./catalog.ts";
import { createRandom } from "./generate.ts";
import { parseJsonObject } from "./json_object.ts";
import type { RawOrder } from "./model.ts";

/** One product view: the value on the `clicks` topic. */
export interface ClickEvent {
  /** Unique per view (`clk-<seed>-<n>` from the generator). */
  clickId: string;
  /** Who viewed; the same ids as an order's `customerId`. */
  userId: string;
  /** The SKU viewed. */
  productId: string;
  /** ISO 8601 date-time with a time zone. */
  timestamp: string;
}

/** The Kafka message for a view: keyed by user id. */
export function clickMessage(click: ClickEvent): { key: string; value: string } {
  return { key: click.userId, value: JSON.stringify(click) };
}

/** A view read back from a record, with its time as epoch ms. */
export type ParsedClick = ClickEvent & { at: number };

/** Reads one `clicks` value, or says why it is no view. Pure. */
export function parseClick(
  value: Uint8Array | string | null | undefined,
): ParsedClick | { invalid: string } {
  const c = parseJsonObject<ClickEvent>(value, ["userId", "productId", "timestamp"]);
  if ("invalid" in c) return c;
  const at = Date.parse(c.timestamp!);
  if (!Number.isFinite(at)) return { invalid: `timestamp: not a date-time: ${c.timestamp}` };
  return { clickId: typeof c.clickId === "string" ? c.clickId : "", ...c, at } as ParsedClick;
}

export interface ClickGeneratorOptions {
  /** A whole number; the same seed and orders give the same views. */
  seed: number;
  /** Products other users browse, and the customer browses besides the order's own. */
  catalog: Catalog;
  /** Mean views per order (0: none). */
  viewsPerOrder: number;
  /** Share of views (0..1) of the order's own products; 0.5 by default. */
  orderedShare?: number;
  /** Share of views (0..1) by some other user, who only browses; 0.2 by default. */
  browserShare?: number;
  /** How many customer ids browsers are drawn from (`cust-1`..); 500 like the order generator. */
  users?: number;
  /** For orders whose `createdAt` is not a date (invalid on purpose); `Date.now` by default. */
  now?: () => number;
}

export interface ClickGenerator {
  /** The views around one order, oldest first, all before the order's `createdAt`. */
  forOrder(order: RawOrder): ClickEvent[];
  /** How many views were generated so far. */
  readonly count: number;
}

/**
 * Creates a click generator. It draws from its own random stream, so turning
 * clicks on or off never changes the orders a seed gives.
 */
export function createClickGenerator(options: ClickGeneratorOptions): ClickGenerator {
  const { seed, catalog, viewsPerOrder } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a whole number of 0 or more, got ${seed}`);
  }
  if (!(viewsPerOrder >= 0 && Number.isFinite(viewsPerOrder))) {
    throw new RangeError(`viewsPerOrder must be a number of 0 or more, got ${viewsPerOrder}`);
  }
  if (catalog.products.length === 0) throw new RangeError("the catalog has no products");
  const orderedShare = options.orderedShare ?? 0.5;
  const browserShare = options.browserShare ?? 0.2;
  const users = options.users ?? 500;
  const now = options.now ?? Date.now;
  const random = createRandom((seed ^ 0x2c1b3c6d) >>> 0);
  const int = (n: number) => Math.floor(random() * n);
  let count = 0;

  function forOrder(order: RawOrder): ClickEvent[] {
    // 0..2m views, mean m; a fractional mean rounds up or down at random.
    const span = 2 * viewsPerOrder;
    const whole = Math.floor(span);
    const n = int(whole + 1) + (random() < span - whole ? int(2) : 0);
    const parsed = Date.parse(order.createdAt);
    const orderedAt = Number.isFinite(parsed) ? parsed : now();
    const skus = order.items.map((i) => i.sku).filter((s) => typeof s === "string" && s !== "");
    // Views come before the order, seconds to minutes apart, oldest first.
    let at = orderedAt;
    const views: ClickEvent[] = [];
    for (let i = 0; i < n; i++) {
      at -= 1000 + int(60_000);
      const browser = random() < browserShare;
      const userId = browser ? `cust-${1 + int(users)}` : order.customerId;
      const productId = !browser && skus.length > 0 && random() < orderedShare
        ? skus[int(skus.length)]
        : catalog.products[int(catalog.products.length)].sku;
      count++;
      views.push({
        clickId: `clk-${seed}-${count}`,
        userId,
        productId,
        timestamp: new Date(at).toISOString(),
      });
    }
    return views.reverse();
  }

  return {
    forOrder,
    get count() {
      return count;
    },
  };
}
