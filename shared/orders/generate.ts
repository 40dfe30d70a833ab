/**
 * A seeded order generator for the load generator, the demo and the tests:
 * the same seed (and clock) gives the same orders, so a failing run can be
 * replayed. Orders come in a chosen mix of types; a share of them can be
 * made deliberately invalid (`invalidRate`) to show the dead-letter path.
 *
 * @example
 * ```ts
 * import { DEFAULT_CATALOG } from "./catalog.ts";
 * import { createOrderGenerator, parseMix } from "./generate.ts";
 * const orders = createOrderGenerator({
 *   seed: 42,
 *   mix: parseMix("inventory=45,delivery=45,return=10"),
 *   catalog: DEFAULT_CATALOG,
 * });
 * const order = orders.next(); // { orderId: "ord-42-1", type: "delivery", ... }
 * ```
 * @module
 */
import type { Catalog, Product } from "./catalog.ts";
import { KNOWN_CARRIERS, type LineItem, type Movement, type RawOrder } from "./model.ts";
import { orderTotal } from "./enrich.ts";

/** Shares of each order type, e.g. `{ inventory: 0.45, delivery: 0.45, return: 0.1 }`. */
export type OrderMix = Record<string, number>;

/** The ways a deliberately invalid order is wrong. */
export const DEFECTS = [
  "negative-quantity",
  "negative-price",
  "total-mismatch",
  "bad-created-at",
  "no-items",
  "bad-movement",
  "missing-delivery",
  "bad-country",
  "reversed-window",
] as const;
export type Defect = typeof DEFECTS[number];

/** Defects that only make sense for one type. */
const DEFECTS_FOR_TYPE: Partial<Record<Defect, string>> = {
  "bad-movement": "inventory",
  "missing-delivery": "delivery",
  "bad-country": "delivery",
  "reversed-window": "delivery",
};

export interface OrderGeneratorOptions {
  /** A whole number; the same seed (and clock) gives the same orders. */
  seed: number;
  /** Relative weights of the order types; they need not add up to 1. */
  mix: OrderMix;
  /** Products to sell; at least one. */
  catalog: Catalog;
  /** Epoch ms for `createdAt` and delivery windows; `Date.now` by default. */
  now?: () => number;
  /** Share of orders (0..1) made deliberately invalid; 0 by default. */
  invalidRate?: number;
}

/** An order and, if it was made invalid on purpose, how. */
export interface GeneratedOrder {
  order: RawOrder;
  defect: Defect | null;
}

export interface OrderGenerator {
  /** The next order (valid unless `invalidRate` picked it). */
  next(): RawOrder;
  /** The next order with how it was made invalid, if it was. */
  nextSample(): GeneratedOrder;
  /** How many orders were generated so far. */
  readonly count: number;
}

/**
 * A small fast PRNG (mulberry32): uniform floats in [0, 1) from a 32-bit
 * seed. Not for anything secret; only for reproducible test data.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KIND = /^[a-z][a-z0-9_-]*$/;

/** Thrown by {@linkcode parseMix} and for a bad mix given to the generator. */
export class MixError extends Error {
  override name = "MixError";
}

/** Checks a mix and returns its shares, adding up to 1. */
function normalizeMix(mix: OrderMix): [string, number][] {
  const entries = Object.entries(mix);
  if (entries.length === 0) throw new MixError("mix is empty: name at least one order type");
  for (const [kind, weight] of entries) {
    if (!KIND.test(kind)) {
      throw new MixError(`mix type "${kind}" must be a lowercase word such as inventory`);
    }
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
      throw new MixError(`mix weight of ${kind} must be a number of 0 or more, got ${weight}`);
    }
  }
  const sum = entries.reduce((acc, [, weight]) => acc + weight, 0);
  if (sum <= 0) throw new MixError("mix weights add up to 0: give at least one type a weight");
  return entries.map(([kind, weight]) => [kind, weight / sum]);
}

/**
 * Parses a mix like `inventory=45,delivery=45,return=10` into shares that add
 * up to 1 (`{ inventory: 0.45, delivery: 0.45, return: 0.1 }`). Weights are
 * relative: `inventory=1,delivery=1` is half and half.
 * Throws {@linkcode MixError} with what is wrong.
 */
export function parseMix(text: string): OrderMix {
  const example = "such as inventory=45,delivery=45,return=10";
  if (text.trim() === "") throw new MixError(`mix is empty: expected type=weight pairs ${example}`);
  const weights: OrderMix = {};
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") throw new MixError(`mix "${text}" has an empty entry: ${example}`);
    const eq = entry.indexOf("=");
    if (eq < 0) {
      throw new MixError(`mix entry "${entry}" needs a weight: type=weight, ${example}`);
    }
    const kind = entry.slice(0, eq).trim();
    const weightText = entry.slice(eq + 1).trim();
    const weight = weightText === "" ? NaN : Number(weightText);
    if (!KIND.test(kind)) {
      throw new MixError(`mix type "${kind}" must be a lowercase word such as inventory`);
    }
    if (!Number.isFinite(weight) || weight < 0) {
      throw new MixError(
        `mix weight of ${kind} must be a number of 0 or more, got "${weightText}"`,
      );
    }
    if (Object.hasOwn(weights, kind)) throw new MixError(`mix names ${kind} twice`);
    weights[kind] = weight;
  }
  return Object.fromEntries(normalizeMix(weights));
}

/** A mix for progress lines: `inventory=45%,delivery=45%,return=10%`. */
export function formatMix(mix: OrderMix): string {
  return normalizeMix(mix)
    .map(([kind, share]) => `${kind}=${Math.round(share * 1000) / 10}%`)
    .join(",");
}

// Material for plausible deliveries: each city with its country and postal code format.
const FIRST_NAMES = [
  "Anna",
  "Ben",
  "Chloé",
  "Daan",
  "Emma",
  "Finn",
  "Greta",
  "Hugo",
  "Ines",
  "Jonas",
];
const LAST_NAMES = [
  "de Vries",
  "Müller",
  "Martin",
  "Peeters",
  "García",
  "Rossi",
  "Jansen",
  "Schmidt",
];
const STREETS = ["Main Street", "Station Road", "Church Lane", "Market Square", "Park Avenue"];
const CITIES: { city: string; country: string; postalCode: (r: () => number) => string }[] = [
  { city: "Amsterdam", country: "NL", postalCode: (r) => `10${digits(r, 2)} ${letters(r, 2)}` },
  { city: "Rotterdam", country: "NL", postalCode: (r) => `30${digits(r, 2)} ${letters(r, 2)}` },
  { city: "Berlin", country: "DE", postalCode: (r) => `10${digits(r, 3)}` },
  { city: "Munich", country: "DE", postalCode: (r) => `80${digits(r, 3)}` },
  { city: "Lyon", country: "FR", postalCode: (r) => `6900${1 + int(r, 9)}` },
  { city: "Brussels", country: "BE", postalCode: (r) => `10${digits(r, 2)}` },
  { city: "Madrid", country: "ES", postalCode: (r) => `280${digits(r, 2)}` },
  { city: "Milan", country: "IT", postalCode: (r) => `201${digits(r, 2)}` },
];

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** A whole number in [0, n). */
function int(random: () => number, n: number): number {
  return Math.floor(random() * n);
}
function pick<T>(random: () => number, list: readonly T[]): T {
  return list[int(random, list.length)];
}
function digits(random: () => number, n: number): string {
  return Array.from({ length: n }, () => String(int(random, 10))).join("");
}
function letters(random: () => number, n: number): string {
  return Array.from({ length: n }, () => String.fromCharCode(65 + int(random, 26))).join("");
}

/** Creates a generator; throws {@linkcode MixError} or `RangeError` for bad options. */
export function createOrderGenerator(options: OrderGeneratorOptions): OrderGenerator {
  const { seed, catalog } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a whole number of 0 or more, got ${seed}`);
  }
  const invalidRate = options.invalidRate ?? 0;
  if (!(invalidRate >= 0 && invalidRate <= 1)) {
    throw new RangeError(`invalidRate must be between 0 and 1, got ${invalidRate}`);
  }
  if (catalog.products.length === 0) throw new RangeError("the catalog has no products");
  const shares = normalizeMix(options.mix);
  const now = options.now ?? Date.now;
  const random = createRandom(seed);
  // Spoiling draws from its own stream, so the orders themselves (ids, types,
  // contents) are the same whatever the invalidRate; only some get broken.
  const defectRandom = createRandom(seed ^ 0x5bd1e995);
  let count = 0;

  function pickType(): string {
    let x = random();
    for (const [kind, share] of shares) {
      if (x < share) return kind;
      x -= share;
    }
    // Rounding can leave x a hair above the last share: the last type with a share takes it.
    return shares.findLast(([, share]) => share > 0)![0];
  }

  function pickProducts(n: number): Product[] {
    const pool = [...catalog.products];
    const chosen: Product[] = [];
    while (chosen.length < n && pool.length > 0) {
      chosen.push(pool.splice(int(random, pool.length), 1)[0]);
    }
    return chosen;
  }

  function lines(quantity: () => number): LineItem[] {
    // Mostly small baskets, now and then a big one.
    const n = pick(random, [1, 1, 1, 2, 2, 3, 4]);
    return pickProducts(n).map((p) => ({
      sku: p.sku,
      quantity: quantity(),
      unitPrice: p.unitPrice,
      productName: p.name,
    }));
  }

  function validOrder(type: string, createdAtMs: number): RawOrder {
    count++;
    let movement: Movement | undefined;
    if (type === "inventory") {
      const x = random();
      movement = x < 0.8 ? "reserve" : x < 0.95 ? "restock" : "release";
    }
    // Restocks come in pallets; everything else in a customer's handful.
    const quantity = movement === "restock" ? () => 10 + int(random, 41) : () => 1 + int(random, 3);
    const items = lines(quantity);
    const customerId = `cust-${1 + int(random, 500)}`;
    const order: RawOrder = {
      orderId: `ord-${seed}-${count}`,
      type,
      customerId,
      // Derived, not drawn: the random sequence (and so every other field) stays as it was.
      customerEmail: `${customerId}@example.com`,
      items,
      createdAt: new Date(createdAtMs).toISOString(),
    };
    // Senders often leave out total and currency: routing fills them in.
    if (random() < 0.8) order.total = orderTotal(items);
    if (random() < 0.7) order.currency = "EUR";
    if (movement !== undefined) order.movement = movement;
    if (type === "delivery") {
      const place = pick(random, CITIES);
      const startOfNextHour = Math.ceil((createdAtMs + 1) / HOUR) * HOUR;
      const from = startOfNextHour + (1 + int(random, 6)) * DAY + int(random, 10) * HOUR;
      const to = from + (2 + int(random, 3)) * HOUR;
      order.delivery = {
        address: {
          name: `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`,
          street: `${pick(random, STREETS)} ${1 + int(random, 200)}`,
          city: place.city,
          postalCode: place.postalCode(random),
          country: place.country,
        },
        carrier: pick(random, KNOWN_CARRIERS),
        window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      };
    }
    return order;
  }

  /** Breaks `order` in one way that fits its type; returns how. */
  function spoil(order: RawOrder): Defect {
    const defect = pick(
      defectRandom,
      DEFECTS.filter((d) =>
        DEFECTS_FOR_TYPE[d] === undefined || DEFECTS_FOR_TYPE[d] === order.type
      ),
    );
    const line = order.items[int(defectRandom, order.items.length)];
    switch (defect) {
      case "negative-quantity":
        line.quantity = -(1 + int(defectRandom, 5));
        break;
      case "negative-price":
        line.unitPrice = -(line.unitPrice || 1);
        break;
      case "total-mismatch":
        order.total = orderTotal(order.items) + 1;
        break;
      case "bad-created-at":
        order.createdAt = "yesterday";
        break;
      case "no-items":
        order.items = [];
        break;
      case "bad-movement":
        // Not a Movement on purpose: this is what a broken sender puts on the wire.
        order.movement = "steal" as Movement;
        break;
      case "missing-delivery":
        delete order.delivery;
        break;
      case "bad-country":
        order.delivery!.address.country = "Netherlands";
        break;
      case "reversed-window": {
        const window = order.delivery!.window;
        order.delivery!.window = { from: window.to, to: window.from };
        break;
      }
    }
    // Without a total, the defect is the one problem the order has.
    if (defect !== "total-mismatch") delete order.total;
    return defect;
  }

  function nextSample(): GeneratedOrder {
    const order = validOrder(pickType(), now());
    const spoilIt = defectRandom() < invalidRate;
    return { order, defect: spoilIt ? spoil(order) : null };
  }

  return {
    next: () => nextSample().order,
    nextSample,
    get count() {
      return count;
    },
  };
}
