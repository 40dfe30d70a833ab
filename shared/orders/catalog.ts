/**
 * The product catalog: what the load generator sells, and what the producers
 * enrich routed orders with (product names, and the warehouse for version 2
 * inventory records). A SKU the catalog does not know is not an error; the
 * order keeps its own product name, or none.
 *
 * @example
 * ```ts
 * import { createCatalog, DEFAULT_CATALOG } from "./catalog.ts";
 * DEFAULT_CATALOG.get("SKU-1001")?.name; // "Wireless Mouse"
 * const mine = createCatalog([
 *   { sku: "SKU-9", name: "Tea", category: "grocery", unitPrice: 3.5, warehouse: "AMS-1" },
 * ]);
 * mine.get("SKU-9")?.unitPrice; // 3.5
 * ```
 * @module
 */

export interface Product {
  sku: string;
  name: string;
  category: string;
  /** List price, at most 2 decimals. */
  unitPrice: number;
  /** Code of the warehouse that holds it (carried by version 2 inventory records). */
  warehouse: string;
}

/** What enrichment needs: a lookup by SKU. A `Map<string, Product>` is one. */
export interface ProductLookup {
  get(sku: string): Product | undefined;
}

/** A lookup that can also list its products, as the generator needs. */
export interface Catalog extends ProductLookup {
  readonly products: readonly Product[];
}

/**
 * Builds a catalog. Throws on duplicate SKUs or impossible prices: a catalog
 * is configuration, and a wrong one should stop a script at start.
 */
export function createCatalog(products: readonly Product[]): Catalog {
  const bySku = new Map<string, Product>();
  for (const [i, p] of products.entries()) {
    if (typeof p.sku !== "string" || p.sku === "") {
      throw new Error(`catalog[${i}].sku: must be a non-empty string`);
    }
    if (bySku.has(p.sku)) throw new Error(`catalog[${i}].sku: duplicate SKU ${p.sku}`);
    if (
      typeof p.unitPrice !== "number" || !Number.isFinite(p.unitPrice) || p.unitPrice < 0 ||
      Math.round(p.unitPrice * 100) / 100 !== p.unitPrice
    ) {
      throw new Error(
        `catalog[${i}].unitPrice: must be a non-negative price in cents, got ${p.unitPrice}`,
      );
    }
    bySku.set(p.sku, Object.freeze({ ...p }));
  }
  const list = Object.freeze([...bySku.values()]);
  return { products: list, get: (sku) => bySku.get(sku) };
}

/** The demo shop's products. */
export const PRODUCTS: readonly Product[] = [
  p("SKU-1001", "Wireless Mouse", "electronics", 24.99, "AMS-1"),
  p("SKU-1002", "Mechanical Keyboard", "electronics", 89.9, "AMS-1"),
  p("SKU-1003", "27-inch Monitor", "electronics", 249.0, "BER-1"),
  p("SKU-1004", "USB-C Hub", "electronics", 39.5, "AMS-1"),
  p("SKU-1005", "Noise-Cancelling Headphones", "electronics", 199.99, "BER-1"),
  p("SKU-1006", "Espresso Machine", "home", 329.0, "LYS-1"),
  p("SKU-1007", "Cast Iron Pan", "home", 44.95, "LYS-1"),
  p("SKU-1008", "Chef's Knife", "home", 59.0, "LYS-1"),
  p("SKU-1009", "Linen Bed Sheets", "home", 79.0, "BER-1"),
  p("SKU-1010", "Desk Lamp", "home", 34.99, "AMS-1"),
  p("SKU-1011", "Running Shoes", "sports", 119.95, "BER-1"),
  p("SKU-1012", "Yoga Mat", "sports", 29.99, "AMS-1"),
  p("SKU-1013", "Water Bottle", "sports", 14.5, "AMS-1"),
  p("SKU-1014", "Cycling Helmet", "sports", 69.0, "LYS-1"),
  p("SKU-1015", "Rain Jacket", "apparel", 99.0, "BER-1"),
  p("SKU-1016", "Merino T-Shirt", "apparel", 45.0, "BER-1"),
  p("SKU-1017", "Wool Socks (3 pairs)", "apparel", 19.99, "AMS-1"),
  p("SKU-1018", "Paperback Novel", "books", 12.99, "LYS-1"),
  p("SKU-1019", "Cookbook", "books", 27.5, "LYS-1"),
  p("SKU-1020", "Board Game", "toys", 39.99, "AMS-1"),
];

/** The catalog of {@linkcode PRODUCTS}. */
export const DEFAULT_CATALOG: Catalog = createCatalog(PRODUCTS);

function p(sku: string, name: string, category: string, unitPrice: number, warehouse: string) {
  return { sku, name, category, unitPrice, warehouse };
}
