/**
 * A complete aggregator snapshot with every section filled, for the
 * terminal dashboard's tests and for trying its layout without a pipeline.
 *
 * @example
 * ```ts
 * import { SAMPLE_SNAPSHOT } from "./sample_snapshot.ts";
 * SAMPLE_SNAPSHOT.orders.count; // 900
 * ```
 * @module
 */
import type { StatsSnapshot } from "../aggregate/snapshot.ts";

export const SAMPLE_SNAPSHOT: StatsSnapshot = {
  generatedAt: "2024-06-18T12:40:10.000Z",
  updatedAt: "2024-06-18T12:40:09.600Z",
  records: 12345,
  orders: {
    count: 900,
    value: 81234.5,
    averagePrice: 90.26,
    invalid: 41,
    unparseable: 2,
    byType: {
      inventory: { count: 500, value: 41234.4, averagePrice: 82.47 },
      delivery: { count: 400, value: 40000.1, averagePrice: 100 },
    },
  },
  sales: { count: 700, revenue: 70000.25, averagePrice: 100 },
  ordersPerWindow: {
    windowSeconds: 60,
    late: 0,
    windows: [
      { start: "2024-06-18T12:36:00.000Z", count: 60 },
      { start: "2024-06-18T12:37:00.000Z", count: 90 },
      { start: "2024-06-18T12:39:00.000Z", count: 120 },
      { start: "2024-06-18T12:40:00.000Z", count: 18 },
    ],
  },
  topProducts: [
    { sku: "SKU-1003", name: "27-inch Monitor", units: 80, revenue: 19920, orders: 61 },
    { sku: "SKU-1001", name: "Wireless Mouse", units: 75, revenue: 1875, orders: 70 },
    { sku: "SKU-9999", units: 3, revenue: 30, orders: 3 },
  ],
  status: {
    events: 2000,
    processed: 1950,
    refusedForStock: 30,
    rejected: 20,
    duplicatesIgnored: 4,
    invalid: 0,
    byStatus: {
      "inventory:reserved": 900,
      "inventory:refused": 30,
      "delivery:scheduled": 400,
      "delivery:delivered": 300,
      "delivery:rejected": 20,
    },
  },
  retried: {
    total: 12,
    byTopic: { "inventory_orders-retry-1": 10, "orders-inventory-retry-1": 2 },
  },
  deadLettered: {
    total: 43,
    byClass: { validation: 41, unparseable: 2 },
    byTopic: { "orders-dlq": 43 },
    byStage: { inventory_orders_producer: 43 },
  },
  clicks: {
    views: 2700,
    invalid: 0,
    mostViewed: {
      windowSeconds: 300,
      slideSeconds: 10,
      late: 0,
      from: "2024-06-18T12:35:10.000Z",
      to: "2024-06-18T12:40:10.000Z",
      products: [
        { sku: "SKU-1001", name: "Wireless Mouse", views: 140 },
        { sku: "SKU-1003", name: "27-inch Monitor", views: 95 },
      ],
    },
    conversion: { viewedPairs: 1500, convertedPairs: 600, rate: 0.4 },
    byProduct: [
      { sku: "SKU-1001", name: "Wireless Mouse", views: 300, orders: 90, ordersPerView: 0.3 },
    ],
  },
  offsets: { orders: { "0": 150, "1": 149 } },
};
