/**
 * The store's logic, written once in SQL both SQLite and PostgreSQL accept,
 * over a tiny driver each backend provides (sqlite_store.ts,
 * postgres_store.ts): a way to run statements and a way to run a
 * transaction with retries. Statements use `$1…$n` placeholders and may end
 * in `FOR UPDATE`; the SQLite driver rewrites both (its writers are already
 * serialized by `BEGIN IMMEDIATE`).
 *
 * @example
 * ```ts
 * import { createSqlStore, type SqlDriver } from "./sql_store.ts";
 * declare const driver: SqlDriver; // from a backend module
 * const store = createSqlStore(driver);
 * await store.migrate();
 * ```
 * @module
 */
import type { StockMovement } from "../orders/model.ts";
import { type DeliveryStatus, nextDeliveryStatus } from "../orders/delivery_lifecycle.ts";
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL } from "./migrations.ts";
import {
  type BatchOutcome,
  type BatchPosition,
  type DeliveryBatchResult,
  type DeliveryRecord,
  type DeliveryTransition,
  type InventoryBatchResult,
  type InventoryLineRecord,
  type MigrationResult,
  type StockMovementEffect,
  type Store,
  type StoreBackend,
  validateMovement,
  validatePosition,
  validateTransition,
} from "./store.ts";

/** A value bound to a placeholder. */
export type SqlValue = string | number | null;
/** A result row; BIGINT columns come back as numbers from both drivers. */
export type SqlRow = Record<string, SqlValue>;

/** Statements on one connection (inside a transaction, or auto-committed). */
export interface SqlTx {
  /** The rows a query returns. */
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** What a backend provides. */
export interface SqlDriver {
  readonly backend: StoreBackend;
  readonly location: string;
  /**
   * Runs `fn` in one transaction: commits when it resolves, rolls back when
   * it throws; retries the whole of it on a lock conflict.
   */
  transaction<T>(what: string, fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Auto-committed statements, for reads and single writes. */
  readonly direct: SqlTx;
  /**
   * A statement that makes concurrent migrations wait for each other, run
   * first in the migration transaction (PostgreSQL's advisory lock); none
   * where the transaction itself locks out other writers (SQLite).
   */
  readonly migrationLock?: string;
  close(): Promise<void>;
}

/** Thrown inside a batch transaction to roll it back: the partition moved on. */
class BatchFenced extends Error {
  constructor(readonly storedOffset: number) {
    super(`fenced: the stored offset ${storedOffset} is past the batch`);
  }
}

const SQL = {
  insertOffset:
    `INSERT INTO consumer_offsets (group_id, topic, partition_id, next_offset, updated_at)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, topic, partition_id) DO NOTHING`,
  lockOffset: `SELECT next_offset FROM consumer_offsets
    WHERE group_id = $1 AND topic = $2 AND partition_id = $3 FOR UPDATE`,
  // Conditional: an offset never moves back, whoever writes it.
  advanceOffset: `UPDATE consumer_offsets SET next_offset = $4, updated_at = $5
    WHERE group_id = $1 AND topic = $2 AND partition_id = $3 AND next_offset < $4`,
  offsets: `SELECT partition_id, next_offset FROM consumer_offsets
    WHERE group_id = $1 AND topic = $2 ORDER BY partition_id`,

  claimLine: `INSERT INTO inventory_lines
    (order_id, line_index, sku, movement, quantity, outcome, available, recorded_at)
    VALUES ($1, $2, $3, $4, $5, 'applied', NULL, $6) ON CONFLICT (order_id, line_index) DO NOTHING`,
  refuseLine: `UPDATE inventory_lines SET outcome = 'refused', available = $3
    WHERE order_id = $1 AND line_index = $2`,
  orderLines: `SELECT order_id, line_index, sku, movement, quantity, outcome, available, recorded_at
    FROM inventory_lines WHERE order_id = $1 ORDER BY line_index`,

  ensureSku: `INSERT INTO stock (sku, on_hand, updated_at) VALUES ($1, 0, $2)
    ON CONFLICT (sku) DO NOTHING`,
  lockSku: `SELECT on_hand FROM stock WHERE sku = $1 FOR UPDATE`,
  // The guard against overselling: the row changes only if the stock covers it.
  // (PostgreSQL re-checks the WHERE on the newest row version after waiting for its lock.)
  take: `UPDATE stock SET on_hand = on_hand - $2, updated_at = $3
    WHERE sku = $1 AND on_hand >= $2`,
  give: `UPDATE stock SET on_hand = on_hand + $2, updated_at = $3 WHERE sku = $1`,
  setStock: `INSERT INTO stock (sku, on_hand, updated_at) VALUES ($1, $2, $3)
    ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, updated_at = excluded.updated_at`,
  stock: `SELECT on_hand FROM stock WHERE sku = $1`,
  allStock: `SELECT sku, on_hand FROM stock ORDER BY sku`,

  seenEvent: `SELECT outcome FROM delivery_events WHERE event_id = $1`,
  lockDelivery: `SELECT status, last_event_id, updated_at FROM deliveries
    WHERE order_id = $1 FOR UPDATE`,
  insertDelivery: `INSERT INTO deliveries (order_id, status, last_event_id, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $4)`,
  updateDelivery: `UPDATE deliveries SET status = $2, last_event_id = $3, updated_at = $4
    WHERE order_id = $1`,
  insertEvent: `INSERT INTO delivery_events
    (event_id, order_id, from_status, to_status, at, outcome, reason)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  delivery: `SELECT status, updated_at FROM deliveries WHERE order_id = $1`,
  deliveryEvents: `SELECT event_id, from_status, to_status, at, outcome, reason
    FROM delivery_events WHERE order_id = $1 ORDER BY seq`,

  migrationVersions: `SELECT version FROM schema_migrations ORDER BY version`,
  recordMigration: `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
} as const;

const num = (v: SqlValue): number => Number(v);
const optNum = (v: SqlValue): number | undefined => v === null ? undefined : Number(v);
const optStatus = (v: SqlValue) => v === null ? undefined : v as DeliveryStatus;

/**
 * Locks the partition's offset row and applies the fencing rule (see
 * store.ts): throws {@linkcode BatchFenced} when the stored offset is past
 * `firstOffset`. Returns the offset before this batch.
 */
async function claimPosition(
  tx: SqlTx,
  p: BatchPosition,
  now: number,
): Promise<number | undefined> {
  const key = [p.group, p.topic, p.partition];
  // First sight of a partition: create its row (it starts at this batch) so there is a row to lock.
  if (await tx.run(SQL.insertOffset, [...key, p.firstOffset, now]) === 1) return undefined;
  const [row] = await tx.all(SQL.lockOffset, key);
  const stored = num(row.next_offset);
  if (stored > p.firstOffset) throw new BatchFenced(stored);
  return stored;
}

async function advancePosition(tx: SqlTx, p: BatchPosition, now: number): Promise<void> {
  await tx.run(SQL.advanceOffset, [p.group, p.topic, p.partition, p.nextOffset, now]);
}

/** Runs a batch transaction; a fenced batch becomes a result instead of an error. */
async function runBatch<R extends BatchOutcome>(
  driver: SqlDriver,
  what: string,
  position: BatchPosition,
  body: (tx: SqlTx, now: number) => Promise<Omit<R, keyof BatchOutcome>>,
  fencedResult: Omit<R, keyof BatchOutcome>,
): Promise<R> {
  validatePosition(position);
  try {
    return await driver.transaction(what, async (tx) => {
      const now = Date.now();
      const previousOffset = await claimPosition(tx, position, now);
      const result = await body(tx, now);
      await advancePosition(tx, position, now);
      return {
        ...result,
        fenced: false,
        previousOffset,
        committedOffset: position.nextOffset,
      } as R;
    });
  } catch (err) {
    if (!(err instanceof BatchFenced)) throw err;
    return {
      ...fencedResult,
      fenced: true,
      previousOffset: err.storedOffset,
      committedOffset: err.storedOffset,
    } as R;
  }
}

async function applyMovements(
  tx: SqlTx,
  movements: readonly StockMovementEffect[],
  now: number,
): Promise<Omit<InventoryBatchResult, keyof BatchOutcome>> {
  const result: Omit<InventoryBatchResult, keyof BatchOutcome> = {
    applied: 0,
    duplicates: 0,
    refused: [],
  };
  // Lock every SKU of the batch up front, in one global order: two batches that share SKUs
  // (two partitions, or a zombie) then wait for each other instead of deadlocking.
  for (const sku of [...new Set(movements.map((m) => m.sku))].sort()) {
    await tx.run(SQL.ensureSku, [sku, now]);
    await tx.all(SQL.lockSku, [sku]);
  }
  for (const m of movements) {
    // Claim the line's key first: a concurrent writer of the same key waits here, then sees it.
    const claimed = await tx.run(SQL.claimLine, [
      m.orderId,
      m.lineIndex,
      m.sku,
      m.movement,
      m.quantity,
      now,
    ]);
    if (claimed === 0) {
      result.duplicates++;
      continue;
    }
    if (m.movement === "RESERVE") {
      if (await tx.run(SQL.take, [m.sku, m.quantity, now]) === 0) {
        const [row] = await tx.all(SQL.stock, [m.sku]);
        const available = num(row.on_hand);
        await tx.run(SQL.refuseLine, [m.orderId, m.lineIndex, available]);
        result.refused.push({
          orderId: m.orderId,
          lineIndex: m.lineIndex,
          sku: m.sku,
          requested: m.quantity,
          available,
        });
        continue;
      }
    } else {
      await tx.run(SQL.give, [m.sku, m.quantity, now]);
    }
    result.applied++;
  }
  return result;
}

/** The parameters of `SQL.insertEvent`: the transition, its outcome and why. */
function eventRow(
  t: DeliveryTransition,
  from: string | null,
  outcome: "applied" | "refused",
  reason: string | null,
): SqlValue[] {
  return [t.eventId, t.orderId, from, t.status, t.at, outcome, reason];
}

async function applyTransitions(
  tx: SqlTx,
  transitions: readonly DeliveryTransition[],
): Promise<Omit<DeliveryBatchResult, keyof BatchOutcome>> {
  const result: Omit<DeliveryBatchResult, keyof BatchOutcome> = {
    applied: [],
    duplicates: 0,
    refused: [],
  };
  for (const t of transitions) {
    // Any event seen before, applied or refused, is a duplicate: its verdict stands.
    if ((await tx.all(SQL.seenEvent, [t.eventId])).length > 0) {
      result.duplicates++;
      continue;
    }
    const [row] = await tx.all(SQL.lockDelivery, [t.orderId]);
    const current = row
      ? { status: row.status as DeliveryStatus, lastEventId: String(row.last_event_id) }
      : undefined;
    const decision = nextDeliveryStatus(current, { status: t.status, eventId: t.eventId });
    const from = current?.status ?? null;
    switch (decision.kind) {
      case "duplicate":
        result.duplicates++;
        break;
      case "apply":
        if (current) await tx.run(SQL.updateDelivery, [t.orderId, t.status, t.eventId, t.at]);
        else await tx.run(SQL.insertDelivery, [t.orderId, t.status, t.eventId, t.at]);
        await tx.run(SQL.insertEvent, eventRow(t, from, "applied", t.reason ?? null));
        result.applied.push({
          eventId: t.eventId,
          orderId: t.orderId,
          from: decision.from,
          to: decision.to,
          at: t.at,
        });
        break;
      case "refuse":
        await tx.run(SQL.insertEvent, eventRow(t, from, "refused", decision.reason));
        result.refused.push({
          eventId: t.eventId,
          orderId: t.orderId,
          from: current?.status,
          requested: t.status,
          reason: decision.reason,
        });
        break;
    }
  }
  return result;
}

/** The {@linkcode Store} over a backend's driver. */
export function createSqlStore(driver: SqlDriver): Store {
  const q = driver.direct;
  let closed = false;
  return {
    backend: driver.backend,
    location: driver.location,

    migrate() {
      return driver.transaction("migrate", async (tx): Promise<MigrationResult> => {
        if (driver.migrationLock) await tx.all(driver.migrationLock);
        await tx.run(SCHEMA_MIGRATIONS_DDL);
        const done = new Set((await tx.all(SQL.migrationVersions)).map((r) => num(r.version)));
        const applied: number[] = [];
        for (const m of MIGRATIONS) {
          if (done.has(m.version)) continue;
          for (const statement of m.statements(driver.backend)) await tx.run(statement);
          await tx.run(SQL.recordMigration, [m.version, m.name, Date.now()]);
          applied.push(m.version);
        }
        return { applied, version: Math.max(0, ...done, ...applied) };
      });
    },

    async committedOffsets(group, topic) {
      const rows = await q.all(SQL.offsets, [group, topic]);
      return new Map(rows.map((r) => [num(r.partition_id), num(r.next_offset)]));
    },

    // async: a bad movement is a rejection like any other failure, not a synchronous throw.
    async applyInventoryBatch(position, movements) {
      movements.forEach(validateMovement);
      return await runBatch<InventoryBatchResult>(
        driver,
        "inventory batch",
        position,
        (tx, now) => applyMovements(tx, movements, now),
        { applied: 0, duplicates: 0, refused: [] },
      );
    },

    async applyDeliveryBatch(position, transitions) {
      transitions.forEach(validateTransition);
      return await runBatch<DeliveryBatchResult>(
        driver,
        "delivery batch",
        position,
        (tx) => applyTransitions(tx, transitions),
        { applied: [], duplicates: 0, refused: [] },
      );
    },

    async stock(sku) {
      const [row] = await q.all(SQL.stock, [sku]);
      return row ? num(row.on_hand) : undefined;
    },

    async allStock() {
      const rows = await q.all(SQL.allStock);
      return new Map(rows.map((r) => [String(r.sku), num(r.on_hand)]));
    },

    async setStock(sku, onHand) {
      if (!Number.isSafeInteger(onHand) || onHand < 0) {
        throw new RangeError(`stock of ${sku} must be a whole number ≥ 0, got ${onHand}`);
      }
      await q.run(SQL.setStock, [sku, onHand, Date.now()]);
    },

    async delivery(orderId): Promise<DeliveryRecord | undefined> {
      const [row] = await q.all(SQL.delivery, [orderId]);
      const events = await q.all(SQL.deliveryEvents, [orderId]);
      if (!row && events.length === 0) return undefined;
      return {
        orderId,
        status: row ? row.status as DeliveryStatus : undefined,
        updatedAt: row ? num(row.updated_at) : undefined,
        history: events.map((e) => ({
          eventId: String(e.event_id),
          from: optStatus(e.from_status),
          to: e.to_status as DeliveryStatus,
          at: num(e.at),
          outcome: e.outcome as "applied" | "refused",
          ...(e.reason === null ? {} : { reason: String(e.reason) }),
        })),
      };
    },

    async orderHistory(orderId): Promise<InventoryLineRecord[]> {
      const rows = await q.all(SQL.orderLines, [orderId]);
      return rows.map((r) => ({
        orderId: String(r.order_id),
        lineIndex: num(r.line_index),
        sku: String(r.sku),
        movement: r.movement as StockMovement,
        quantity: num(r.quantity),
        outcome: r.outcome as "applied" | "refused",
        ...(r.available === null ? {} : { available: optNum(r.available) }),
        recordedAt: num(r.recorded_at),
      }));
    },

    async close() {
      if (closed) return;
      closed = true;
      await driver.close();
    },
  };
}
