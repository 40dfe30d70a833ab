/**
 * What one routing producer does, as data: which order type it keeps, how
 * it validates and shapes it, which topic and schema subject it writes, how
 * records are keyed. The inventory and delivery producers are the same code
 * (./router.ts) run with a different {@linkcode RouteSpec}.
 *
 * {@linkcode routeRecord} is the pure heart: one consumed record in, one
 * outcome out (routed, skipped, or dead-lettered with reasons).
 *
 * @example
 * ```ts
 * import { INVENTORY_ROUTE, routeRecord } from "./routing_spec.ts";
 * const bytes = new TextEncoder().encode(JSON.stringify({ orderId: "o1", type: "return" }));
 * routeRecord(INVENTORY_ROUTE, bytes, Date.now()); // { kind: "skipped", type: "return" }
 * ```
 * @module
 */
import type { DeadLetterClass } from "../retry/dead_letter.ts";
import { DEFAULT_CATALOG, type ProductLookup } from "../orders/catalog.ts";
import type { AvroRecordSchema } from "../orders/schemas.ts";
import {
  DELIVERY_ORDER_SCHEMA,
  DELIVERY_ORDERS_SUBJECT,
  INVENTORY_ORDER_SCHEMA,
  INVENTORY_ORDER_SCHEMA_V2,
  INVENTORY_ORDERS_SUBJECT,
} from "../orders/schemas.ts";
import { isKnownType, KNOWN_TYPES, type RawOrder, type RoutedType } from "../orders/model.ts";
import {
  deliveryKey,
  inventoryKey,
  toDeliveryOrder,
  toInventoryOrdersV2,
} from "../orders/enrich.ts";
import {
  formatProblems,
  validateDeliveryOrder,
  validateInventoryOrder,
  type ValidationResult,
} from "../orders/validate.ts";
import type { RawDeliveryOrder } from "../orders/model.ts";
import { TOPICS, type TopicSpec } from "../kafka/topics.ts";

/** A record to produce: its key and its (not yet encoded) value. */
export interface RoutedRecord {
  key: string;
  value: Record<string, unknown>;
}

/** One routing producer's parameters. */
export interface RouteSpec {
  /** The order type it keeps. */
  type: RoutedType;
  /** The script's name, for logs, metrics, DLQ headers and defaults. */
  script: string;
  /** Where routed records go. */
  target: TopicSpec;
  /** Default consumer group (and transactional id prefix). */
  groupId: string;
  /** Registry subject and every schema version, oldest first; the last one is written. */
  subject: string;
  schemas: readonly AvroRecordSchema[];
  /** Where `/metrics` listens by default, so both producers can run side by side. */
  defaultMetricsPort: number;
  /** The entity that owns a partition, e.g. "the SKU". */
  keyDescription: string;
  /** Validates an order of this type, returning every problem. */
  validate(input: unknown): ValidationResult<RawOrder>;
  /** Turns a valid order into the records to produce. */
  toRecords(order: RawOrder, routedAt: number, catalog: ProductLookup): RoutedRecord[];
  /**
   * Whether records that are no order at all (bad JSON, no type) are
   * dead-lettered by this producer. Both producers read every raw order;
   * exactly one of them owns the unparseable ones, so the DLQ holds each once.
   */
  ownsUnparseable: boolean;
}

/** Inventory orders: one stock movement per line, keyed by SKU. */
export const INVENTORY_ROUTE: RouteSpec = {
  type: "inventory",
  script: "inventory_orders_producer",
  target: TOPICS.inventoryOrders,
  groupId: "inventory-orders-producer",
  subject: INVENTORY_ORDERS_SUBJECT,
  schemas: [INVENTORY_ORDER_SCHEMA, INVENTORY_ORDER_SCHEMA_V2],
  keyDescription: "SKU",
  defaultMetricsPort: 9101,
  validate: validateInventoryOrder,
  toRecords: (order, routedAt, catalog) =>
    toInventoryOrdersV2(order, routedAt, catalog).map((r) => ({
      key: inventoryKey(r),
      value: { ...r },
    })),
  ownsUnparseable: true,
};

/** Delivery orders: one record per order, keyed by order id. */
export const DELIVERY_ROUTE: RouteSpec = {
  type: "delivery",
  script: "delivery_orders_producer",
  target: TOPICS.deliveryOrders,
  groupId: "delivery-orders-producer",
  subject: DELIVERY_ORDERS_SUBJECT,
  schemas: [DELIVERY_ORDER_SCHEMA],
  keyDescription: "order id",
  defaultMetricsPort: 9102,
  validate: validateDeliveryOrder,
  toRecords: (order, routedAt, catalog) => {
    const r = toDeliveryOrder(order as RawDeliveryOrder, routedAt, catalog);
    return [{ key: deliveryKey(r), value: { ...r } }];
  },
  ownsUnparseable: false,
};

/** What became of one consumed record. */
export type RouteOutcome =
  | { kind: "routed"; orderId: string; records: RoutedRecord[] }
  | { kind: "skipped"; type: string }
  | { kind: "dead-letter"; errorClass: DeadLetterClass; reason: string }
  | { kind: "ignored-unparseable"; reason: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Routes one raw record. Pure: the same bytes, clock and catalog give the
 * same outcome. Other known order types are skipped (counted, never
 * errors); an order of this route's type that fails validation is
 * dead-lettered with every problem; bytes that are no order at all, and
 * orders of a type nobody knows, are dead-lettered by the producer that owns
 * them and ignored (but counted) by the other.
 */
export function routeRecord(
  route: RouteSpec,
  value: Uint8Array | null,
  routedAt: number,
  catalog: ProductLookup = DEFAULT_CATALOG,
): RouteOutcome {
  const unparseable = (reason: string): RouteOutcome =>
    route.ownsUnparseable
      ? { kind: "dead-letter", errorClass: "unparseable", reason }
      : { kind: "ignored-unparseable", reason };
  if (value === null || value.length === 0) return unparseable("empty record (no value)");
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(value));
  } catch (err) {
    return unparseable(`not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return unparseable("not a JSON object");
  }
  const type = (parsed as { type?: unknown }).type;
  if (typeof type !== "string" || type === "") {
    return unparseable("type: missing or not a string");
  }
  if (!isKnownType(type)) {
    // A kind nobody routes or skips on purpose: a typo or a producer gone
    // wrong, so it is dead-lettered (once, by the owner), not silently skipped.
    return route.ownsUnparseable
      ? {
        kind: "dead-letter",
        errorClass: "validation",
        reason: `type: unknown order type "${type}" (known: ${KNOWN_TYPES.join(", ")})`,
      }
      : { kind: "ignored-unparseable", reason: `unknown order type "${type}"` };
  }
  if (type !== route.type) return { kind: "skipped", type };
  const result = route.validate(parsed);
  if (!result.ok) {
    return {
      kind: "dead-letter",
      errorClass: "validation",
      reason: formatProblems(result.problems),
    };
  }
  return {
    kind: "routed",
    orderId: result.order.orderId,
    records: route.toRecords(result.order, routedAt, catalog),
  };
}
