/**
 * The order model: the JSON orders intake writes to the raw `orders` topic,
 * and the two routed records the producers write, Avro-encoded, to
 * `inventory_orders` and `delivery_orders`. The routed types mirror
 * `schemas/*.avsc` field for field (a test keeps them in step).
 *
 * Timestamps on routed records are epoch milliseconds as plain numbers: the
 * Avro fields are `long` with the `timestamp-millis` logical type, and no
 * avsc logical-type implementation is registered anywhere, so a value
 * round-trips as the number it was (not as a `Date`). Money is a `double`
 * rounded to cents (see `orderTotal` in route.ts).
 *
 * @example
 * ```ts
 * import { isRoutedType, type RawOrder } from "./model.ts";
 * const order: RawOrder = {
 *   orderId: "ord-1",
 *   type: "inventory",
 *   customerId: "cust-7",
 *   items: [{ sku: "SKU-1001", quantity: 2, unitPrice: 19.99 }],
 *   createdAt: "2024-06-18T12:34:56Z",
 * };
 * isRoutedType(order.type); // true
 * ```
 * @module
 */

/** Every order kind the pipeline knows by name. */
export const KNOWN_TYPES = ["inventory", "delivery", "return", "exchange"] as const;
/** An order kind the pipeline knows by name. */
export type OrderType = typeof KNOWN_TYPES[number];

/**
 * The kinds that have their own topic and producer. The other known kinds
 * on the raw stream (`return`, `exchange`) are counted and skipped; a kind
 * nobody knows is dead-lettered by the routing producers (a typo, or a
 * producer gone wrong), though the gateway accepts it as a raw order.
 */
export const ROUTED_TYPES = ["inventory", "delivery"] as const;
/** An order kind with its own topic and producer. */
export type RoutedType = typeof ROUTED_TYPES[number];

/** Whether orders of `type` are routed (inventory, delivery). */
export function isRoutedType(type: string): type is RoutedType {
  return (ROUTED_TYPES as readonly string[]).includes(type);
}

/** Whether `type` is one of {@linkcode KNOWN_TYPES}. */
export function isKnownType(type: string): type is OrderType {
  return (KNOWN_TYPES as readonly string[]).includes(type);
}

/** Stock movements as intake spells them (lowercase, JSON). */
export const MOVEMENTS = ["reserve", "restock", "release"] as const;
/** A stock movement as intake spells it. */
export type Movement = typeof MOVEMENTS[number];

/** Stock movements as the Avro enum spells them on `inventory_orders`. */
export type StockMovement = "RESERVE" | "RESTOCK" | "RELEASE";

/** What an inventory order without a `movement` means: the customer bought it. */
export const DEFAULT_MOVEMENT: Movement = "reserve";
/** The currency of an order that names none. */
export const DEFAULT_CURRENCY = "EUR";

/** Carriers the generator and the demo use; validation accepts any carrier name. */
export const KNOWN_CARRIERS = ["dhl", "ups", "fedex", "postnl"] as const;

/** Bounds validation enforces, in one place so docs and the generator agree. */
export const ORDER_LIMITS = {
  /** Longest order id, customer id and SKU. */
  maxIdLength: 64,
  maxItems: 100,
  maxQuantity: 10_000,
  /** Longest free text (names, street, city). */
  maxTextLength: 200,
  /** How far a given `total` may be from the sum of its lines. */
  totalTolerance: 0.005,
} as const;

/** One line of an order. */
export interface LineItem {
  sku: string;
  /** A positive whole number. */
  quantity: number;
  /** Non-negative, at most 2 decimals (cents). */
  unitPrice: number;
  /** The sender's name for the product; the catalog's name wins when it knows the SKU. */
  productName?: string;
}

/** A delivery address. */
export interface Address {
  name: string;
  street: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, two capital letters. */
  country: string;
}

/** What a delivery order needs on top of the common shape. */
export interface DeliveryDetails {
  address: Address;
  carrier: string;
  /** The requested delivery window, ISO 8601 date-times; `from` before `to`. */
  window: { from: string; to: string };
}

/** An order as intake writes it to the raw `orders` topic (JSON, keyed by order id). */
export interface RawOrder {
  orderId: string;
  /** `inventory`, `delivery`, or another kind the producers skip. */
  type: string;
  customerId: string;
  /**
   * Where the customer wants status notifications (scripts/notifier.ts);
   * optional: an order without one gets none. Only its shape is checked here;
   * whether it takes mail is the mail server's to say (a refusal is a dead letter).
   */
  customerEmail?: string;
  items: LineItem[];
  /** When present, equals the sum of the lines within half a cent. */
  total?: number;
  /** ISO 4217, three capital letters; {@linkcode DEFAULT_CURRENCY} when absent. */
  currency?: string;
  /** ISO 8601 date-time with a time zone. */
  createdAt: string;
  /** Inventory only; {@linkcode DEFAULT_MOVEMENT} when absent. */
  movement?: Movement;
  /** Delivery only, and required there. */
  delivery?: DeliveryDetails;
}

/** A raw order that passed inventory validation. */
export interface RawInventoryOrder extends RawOrder {
  type: "inventory";
}

/** A raw order that passed delivery validation: the delivery block is there. */
export interface RawDeliveryOrder extends RawOrder {
  type: "delivery";
  delivery: DeliveryDetails;
}

/**
 * One line of an inventory order: the Avro value on `inventory_orders`
 * (schemas/inventory_order.avsc), keyed by SKU so that one partition owns
 * each SKU's stock. `orderId` + `lineIndex` identify it for idempotence.
 */
export interface InventoryOrder {
  orderId: string;
  /** 0-based position of this line in its order. */
  lineIndex: number;
  /** How many lines the order has, so a reader can tell when it saw them all. */
  lineCount: number;
  sku: string;
  /** The catalog's name, else the order's own, else "". */
  productName: string;
  quantity: number;
  unitPrice: number;
  movement: StockMovement;
  customerId: string;
  /** The whole order's total, not this line's. */
  orderTotal: number;
  currency: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms, when the producer routed it. */
  routedAt: number;
}

/**
 * Version 2 of {@linkcode InventoryOrder} (schemas/inventory_order.v2.avsc):
 * adds the warehouse that holds the SKU. Optional with a `null` default, so
 * v1 readers skip it and v2 readers see `null` on v1 data.
 */
export interface InventoryOrderV2 extends InventoryOrder {
  warehouse?: string | null;
}

/** One line of a delivery order. */
export interface DeliveryItem {
  sku: string;
  productName: string;
  quantity: number;
  unitPrice: number;
}

/**
 * A delivery order: the Avro value on `delivery_orders`
 * (schemas/delivery_order.avsc), keyed by order id.
 */
export interface DeliveryOrder {
  orderId: string;
  customerId: string;
  items: DeliveryItem[];
  total: number;
  currency: string;
  address: Address;
  carrier: string;
  /** Epoch ms. */
  windowFrom: number;
  /** Epoch ms. */
  windowTo: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms, when the producer routed it. */
  routedAt: number;
}
