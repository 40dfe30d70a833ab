/**
 * The store's schema, as numbered migrations both backends run at start-up.
 * One list for both databases: where their SQL differs (an auto-increment
 * key), the dialect fills it in. Append new versions; never edit an
 * applied one.
 *
 * @example
 * ```ts
 * import { MIGRATIONS, pendingMigrations } from "./migrations.ts";
 * const todo = pendingMigrations(new Set([1]));
 * todo.map((m) => m.version); // versions after 1
 * MIGRATIONS[0].statements("sqlite"); // CREATE TABLE … statements
 * ```
 * @module
 */
import type { StoreBackend } from "./store.ts";

/** One schema version. */
export interface Migration {
  version: number;
  name: string;
  /** The statements that take the schema from `version - 1` to `version`. */
  statements(dialect: StoreBackend): string[];
}

/** The bookkeeping table, created before anything else. */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** Every schema version, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "stock, offsets, inventory lines, deliveries",
    statements: (dialect) => [
      // The CHECK is the last guard: even a buggy update cannot oversell.
      `CREATE TABLE stock (
        sku TEXT PRIMARY KEY,
        on_hand BIGINT NOT NULL CHECK (on_hand >= 0),
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE consumer_offsets (
        group_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        partition_id INTEGER NOT NULL,
        next_offset BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (group_id, topic, partition_id)
      )`,
      // The processed-line keys: one row per (order, line), applied or refused.
      `CREATE TABLE inventory_lines (
        order_id TEXT NOT NULL,
        line_index INTEGER NOT NULL,
        sku TEXT NOT NULL,
        movement TEXT NOT NULL CHECK (movement IN ('RESERVE', 'RESTOCK', 'RELEASE')),
        quantity BIGINT NOT NULL CHECK (quantity > 0),
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
        available BIGINT,
        recorded_at BIGINT NOT NULL,
        PRIMARY KEY (order_id, line_index)
      )`,
      `CREATE TABLE deliveries (
        order_id TEXT PRIMARY KEY,
        status TEXT NOT NULL
          CHECK (status IN ('scheduled', 'dispatched', 'in_transit', 'delivered', 'failed')),
        last_event_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      // The history, and the processed-event keys (event_id is unique).
      `CREATE TABLE delivery_events (
        seq ${
        dialect === "postgres" ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
      },
        event_id TEXT NOT NULL UNIQUE,
        order_id TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        at BIGINT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
        reason TEXT
      )`,
      `CREATE INDEX delivery_events_by_order ON delivery_events (order_id, seq)`,
    ],
  },
  {
    version: 2,
    name: "each applied line's stock after it and its number among its SKU's changes",
    // What the inventory consumer publishes of a line is rebuilt from these
    // after a crash, byte for byte; a SKU's count numbers its changes.
    statements: () => [
      `ALTER TABLE stock ADD COLUMN changes BIGINT NOT NULL DEFAULT 0`,
      `ALTER TABLE inventory_lines ADD COLUMN on_hand_after BIGINT`,
      `ALTER TABLE inventory_lines ADD COLUMN sku_sequence BIGINT`,
    ],
  },
  {
    version: 3,
    name: "notification recipients and ledger",
    statements: () => [
      // Each order's address as the notifier read it from `orders`; NULL: the order gave none.
      `CREATE TABLE notification_recipients (
        order_id TEXT PRIMARY KEY,
        email TEXT,
        recorded_at BIGINT NOT NULL
      )`,
      // One row per status event whose message the SMTP server accepted (shared/notify/).
      `CREATE TABLE notification_ledger (
        event_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sent_at BIGINT NOT NULL
      )`,
    ],
  },
];

/** The newest schema version. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The migrations not yet in `applied`, oldest first. */
export function pendingMigrations(applied: ReadonlySet<number>): Migration[] {
  return MIGRATIONS.filter((m) => !applied.has(m.version));
}
