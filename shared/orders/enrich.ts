/**
 * Routing and enrichment, pure: a validated raw order in, the records the
 * producers write out, and the keys that decide their partitions. The SKU
 * keys stock movements (one partition owns a SKU's stock), the order id keys
 * deliveries (one partition owns a shipment).
 *
 * Enrichment fills what the sender may leave out: the total (summed from the
 * lines when absent), the currency (EUR), the stock movement (RESERVE), the
 * product name (from the catalog, which wins over the sender's name for SKUs
 * it knows) and, for version 2 inventory records, the warehouse. Prices stay
 * as the order gave them: they are what the customer was charged.
 *
 * @example
 * ```ts
 * import { DEFAULT_CATALOG } from "./catalog.ts";
 * import { inventoryKey, toInventoryOrders } from "./enrich.ts";
 * const records = toInventoryOrders({
 *   orderId: "ord-1",
 *   type: "inventory",
 *   customerId: "cust-7",
 *   items: [{ sku: "SKU-1001", quantity: 2, unitPrice: 24.99 }],
 *   createdAt: "2024-06-18T12:34:56Z",
 * }, Date.now(), DEFAULT_CATALOG);
 * records[0].productName; // "Wireless Mouse"
 * records[0].orderTotal; // 49.98
 * inventoryKey(records[0]); // "SKU-1001"
 * ```
 * @module
 */
import type { ProductLookup } from "./catalog.ts";
import {
  DEFAULT_CURRENCY,
  DEFAULT_MOVEMENT,
  type DeliveryOrder,
  type InventoryOrder,
  type InventoryOrderV2,
  type LineItem,
  type RawDeliveryOrder,
  type RawOrder,
  type StockMovement,
} from "./model.ts";

/**
 * The sum of quantity × unit price, rounded to cents. Summed in whole cents
 * so that binary floating point cannot drift (0.1 + 0.2 is 0.3 here).
 */
export function orderTotal(items: readonly Pick<LineItem, "quantity" | "unitPrice">[]): number {
  let cents = 0;
  for (const item of items) cents += Math.round(item.unitPrice * 100) * item.quantity;
  return cents / 100;
}

/** Rounds an amount to cents. */
export function roundCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/** The total an order stands for: its own (rounded to cents), else its lines' sum. */
export function totalOf(order: RawOrder): number {
  return order.total === undefined ? orderTotal(order.items) : roundCents(order.total);
}

/** The order's stock movement in the Avro enum's spelling. */
export function stockMovementOf(order: RawOrder): StockMovement {
  return (order.movement ?? DEFAULT_MOVEMENT).toUpperCase() as StockMovement;
}

function productNameOf(item: LineItem, catalog: ProductLookup): string {
  return catalog.get(item.sku)?.name ?? item.productName ?? "";
}

/**
 * One inventory record per line of `order`, in line order. `order` must have
 * passed validation (see validate.ts); this function does not check it again.
 */
export function toInventoryOrders(
  order: RawOrder,
  routedAt: number,
  catalog: ProductLookup,
): InventoryOrder[] {
  const common = {
    orderId: order.orderId,
    lineCount: order.items.length,
    movement: stockMovementOf(order),
    customerId: order.customerId,
    orderTotal: totalOf(order),
    currency: order.currency ?? DEFAULT_CURRENCY,
    createdAt: Date.parse(order.createdAt),
    routedAt,
  };
  // Spelled out field by field, in schema order, so a record carries exactly the schema's fields.
  return order.items.map((item, lineIndex) => ({
    orderId: common.orderId,
    lineIndex,
    lineCount: common.lineCount,
    sku: item.sku,
    productName: productNameOf(item, catalog),
    quantity: item.quantity,
    unitPrice: item.unitPrice,
    movement: common.movement,
    customerId: common.customerId,
    orderTotal: common.orderTotal,
    currency: common.currency,
    createdAt: common.createdAt,
    routedAt: common.routedAt,
  }));
}

/**
 * {@linkcode toInventoryOrders} for schema version 2: each record also names
 * the warehouse that holds its SKU, or `null` when the catalog does not know it.
 */
export function toInventoryOrdersV2(
  order: RawOrder,
  routedAt: number,
  catalog: ProductLookup,
): InventoryOrderV2[] {
  return toInventoryOrders(order, routedAt, catalog).map((record) => ({
    ...record,
    warehouse: catalog.get(record.sku)?.warehouse ?? null,
  }));
}

/**
 * The delivery record of `order`, which must have passed delivery validation
 * (see validate.ts); this function does not check it again.
 */
export function toDeliveryOrder(
  order: RawDeliveryOrder,
  routedAt: number,
  catalog: ProductLookup,
): DeliveryOrder {
  const { address, carrier, window } = order.delivery;
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    items: order.items.map((item) => ({
      sku: item.sku,
      productName: productNameOf(item, catalog),
      quantity: item.quantity,
      unitPrice: item.unitPrice,
    })),
    total: totalOf(order),
    currency: order.currency ?? DEFAULT_CURRENCY,
    address: {
      name: address.name,
      street: address.street,
      city: address.city,
      postalCode: address.postalCode,
      country: address.country,
    },
    carrier,
    windowFrom: Date.parse(window.from),
    windowTo: Date.parse(window.to),
    createdAt: Date.parse(order.createdAt),
    routedAt,
  };
}

/** The key of an inventory record: its SKU, so one partition owns a SKU's stock. */
export function inventoryKey(record: Pick<InventoryOrder, "sku">): string {
  return record.sku;
}

/** The key of a delivery record: its order id, so one partition owns a shipment. */
export function deliveryKey(record: Pick<DeliveryOrder, "orderId">): string {
  return record.orderId;
}

/** The key of a raw order on `orders`: its order id. */
export function rawOrderKey(order: Pick<RawOrder, "orderId">): string {
  return order.orderId;
}
