/**
 * The stock panel of the dashboard: each SKU's units on hand as the
 * `inventory` change log tells it (folded by ../orders/inventory_event.ts),
 * marked low at or below the `--low-stock` threshold, lowest first. Pure.
 *
 * @example
 * ```ts
 * import { stockPanel } from "./stock_panel.ts";
 * const panel = stockPanel(new Map([["A", { sku: "A", onHand: 2, sequence: 5, at: 0 }]]), 3);
 * panel.rows[0].low; // true
 * panel.lowCount; // 1
 * ```
 * @module
 */
import type { StockLevel } from "../orders/inventory_event.ts";

/** One SKU's row. */
export interface StockRow extends StockLevel {
  /** At or below the threshold. */
  low: boolean;
}

/** What the page shows of the stock. */
export interface StockPanel {
  /** Units at or below which a SKU is marked low. */
  threshold: number;
  /** Low SKUs first, each group by SKU. */
  rows: StockRow[];
  lowCount: number;
  /** Changes folded so far, for the panel's note. */
  changes: number;
}

/** The panel of `levels` under `threshold`. Pure. */
export function stockPanel(
  levels: ReadonlyMap<string, StockLevel>,
  threshold: number,
  changes = 0,
): StockPanel {
  const rows = [...levels.values()]
    .map((l) => ({ ...l, low: l.onHand <= threshold }))
    .sort((a, b) => Number(b.low) - Number(a.low) || a.sku.localeCompare(b.sku));
  return { threshold, rows, lowCount: rows.filter((r) => r.low).length, changes };
}
