/**
 * The audit's view of the store, read with plain SQL: `node:sqlite`
 * (read-only) for the embedded default, `pg` for `postgres://…`. Not through
 * shared/store/, so a bug in the product's store code cannot agree with
 * itself. The tables are the ones shared/store/migrations.ts creates:
 * `inventory_lines` (one row per order line, applied or refused: the ledger
 * of stock movements), `stock`, `deliveries`, `delivery_events`.
 *
 * @example
 * ```ts
 * import { openStoreReader } from "./store_reader.ts";
 * const reader = await openStoreReader("sqlite:/tmp/store.db");
 * // const rows = await reader.read("verify-abc-", "VERIFY-abc-");
 * await reader.close();
 * ```
 * @module
 */
// @ts-ignore: this project's @types/node (v18, pulled in by testcontainers) predates node:sqlite
import { DatabaseSync as UntypedDatabaseSync } from "node:sqlite";
import pg from "pg";
import type { ObservedStore } from "./audit.ts";

/** The part of node:sqlite the reader uses, typed here for the reason above. */
interface DatabaseSync {
  prepare(sql: string): { all(...params: string[]): unknown[] };
  close(): void;
}
const DatabaseSync = UntypedDatabaseSync as new (
  path: string,
  options: { readOnly: boolean },
) => DatabaseSync;

/** The store cannot be read: one sentence naming what to fix. */
export class StoreReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreReadError";
  }
}

export interface StoreReader {
  /** Rows of orders with `orderPrefix`, and every line and stock row of SKUs with `skuPrefix`. */
  read(orderPrefix: string, skuPrefix: string): Promise<ObservedStore>;
  close(): Promise<void>;
}

/** The queries, in PostgreSQL's placeholders; SQLite takes `?` in their place. */
const QUERIES = {
  inventoryLines:
    `SELECT order_id, line_index, sku, movement, quantity, outcome FROM inventory_lines
    WHERE order_id LIKE $1 OR sku LIKE $2`,
  deliveries: `SELECT order_id, status FROM deliveries WHERE order_id LIKE $1`,
  deliveryEvents: `SELECT event_id, order_id, to_status, outcome FROM delivery_events
    WHERE order_id LIKE $1`,
  stock: `SELECT sku, on_hand FROM stock WHERE sku LIKE $1`,
} as const;

type Row = Record<string, unknown>;

function toObserved(q: Record<keyof typeof QUERIES, Row[]>): ObservedStore {
  return {
    inventoryLines: q.inventoryLines.map((r) => ({
      orderId: String(r.order_id),
      lineIndex: Number(r.line_index),
      sku: String(r.sku),
      movement: String(r.movement),
      quantity: Number(r.quantity),
      outcome: String(r.outcome),
    })),
    deliveries: q.deliveries.map((r) => ({
      orderId: String(r.order_id),
      status: String(r.status),
    })),
    deliveryEvents: q.deliveryEvents.map((r) => ({
      eventId: String(r.event_id),
      orderId: String(r.order_id),
      toStatus: String(r.to_status),
      outcome: String(r.outcome),
    })),
    stock: q.stock.map((r) => ({ sku: String(r.sku), onHand: Number(r.on_hand) })),
  };
}

/** A missing table means the consumers never ran on this database. */
function explain(err: unknown, where: string): StoreReadError {
  const msg = (err as Error).message ?? String(err);
  if (/no such table|does not exist/i.test(msg)) {
    return new StoreReadError(
      `${where} has no pipeline tables (${msg}): point --database-url (DATABASE_URL) at the data consumers' database`,
    );
  }
  return new StoreReadError(`cannot read ${where}: ${msg}`);
}

/**
 * Opens the store `url` names: `postgres://…`/`postgresql://…`, `sqlite:PATH`,
 * or (empty) the SQLite file `defaultSqlitePath`.
 */
export async function openStoreReader(
  url: string | undefined,
  defaultSqlitePath?: string,
): Promise<StoreReader> {
  const u = url?.trim() ?? "";
  if (/^postgres(ql)?:\/\//i.test(u)) {
    const shown = u.replace(/\/\/[^@/]*@/, "//***@");
    const client = new pg.Client({ connectionString: u });
    try {
      await client.connect();
    } catch (err) {
      throw new StoreReadError(
        `cannot connect to ${shown} (--database-url, DATABASE_URL): ${(err as Error).message}`,
      );
    }
    return {
      async read(orderPrefix, skuPrefix) {
        try {
          const all = async (sql: string, args: string[]) =>
            (await client.query(sql, args)).rows as Row[];
          return toObserved({
            inventoryLines: await all(QUERIES.inventoryLines, [`${orderPrefix}%`, `${skuPrefix}%`]),
            deliveries: await all(QUERIES.deliveries, [`${orderPrefix}%`]),
            deliveryEvents: await all(QUERIES.deliveryEvents, [`${orderPrefix}%`]),
            stock: await all(QUERIES.stock, [`${skuPrefix}%`]),
          });
        } catch (err) {
          throw explain(err, shown);
        }
      },
      close: () => client.end(),
    };
  }
  let path: string;
  if (u === "") {
    if (!defaultSqlitePath) throw new StoreReadError("--database-url (DATABASE_URL) is required");
    path = defaultSqlitePath;
  } else if (/^sqlite:/i.test(u)) path = u.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
  else {
    throw new StoreReadError(
      `--database-url (DATABASE_URL): "${u}" is not postgres://…, postgresql://… or sqlite:PATH`,
    );
  }
  let db: DatabaseSync;
  try {
    // Read-only: the audit must never change what it audits.
    db = new DatabaseSync(
      path,
      { readOnly: true } as ConstructorParameters<typeof DatabaseSync>[1],
    );
  } catch (err) {
    throw new StoreReadError(
      `cannot open the SQLite store ${path} (--database-url, DATABASE_URL): ${
        (err as Error).message
      }; the data consumers create it, so start them first or point --database-url at theirs`,
    );
  }
  return {
    read(orderPrefix, skuPrefix) {
      try {
        const all = (sql: string, args: string[]) =>
          db.prepare(sql.replace(/\$\d/g, "?")).all(...args) as Row[];
        return Promise.resolve(toObserved({
          inventoryLines: all(QUERIES.inventoryLines, [`${orderPrefix}%`, `${skuPrefix}%`]),
          deliveries: all(QUERIES.deliveries, [`${orderPrefix}%`]),
          deliveryEvents: all(QUERIES.deliveryEvents, [`${orderPrefix}%`]),
          stock: all(QUERIES.stock, [`${skuPrefix}%`]),
        }));
      } catch (err) {
        return Promise.reject(explain(err, path));
      }
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}
