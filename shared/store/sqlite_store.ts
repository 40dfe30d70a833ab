/**
 * The embedded backend: SQLite through Deno's `node:sqlite`, zero setup.
 *
 * - WAL mode, so readers never wait for the writer and a SIGKILL loses no
 *   committed transaction; `synchronous=NORMAL` (safe against process
 *   crashes, which is what exactly-once is tested against).
 * - Every batch runs in `BEGIN IMMEDIATE`: it takes the write lock up
 *   front, so two writers (other processes) never deadlock upgrading a read
 *   lock; a writer that finds the lock held waits `busy_timeout`, then the
 *   whole transaction is retried with backoff (transaction_retry.ts).
 * - `node:sqlite` is synchronous: one process's store calls on one file are
 *   queued behind each other, so a transaction never meets another of the
 *   same process half-way (nor blocks the event loop on its own lock).
 * - Every statement is prepared once and cached; a batch statement runs
 *   once per row (see `ManyRows` in sql_store.ts).
 *
 * @example
 * ```ts
 * import { openSqliteStore } from "./sqlite_store.ts";
 * import { createLogger } from "../platform/log.ts";
 * const store = await openSqliteStore({ path: "/tmp/pipeline.db", log: createLogger({ name: "store" }) });
 * await store.migrate();
 * await store.close();
 * ```
 * @module
 */
// @ts-ignore: this project's @types/node (v18, pulled in by testcontainers) predates node:sqlite
import { DatabaseSync as UntypedDatabaseSync } from "node:sqlite";
import { dirname, resolve } from "node:path";
import type { Logger } from "../platform/log.ts";
import {
  createSqlStore,
  type ManyRows,
  type SqlDriver,
  type SqlRow,
  type SqlTx,
  type SqlValue,
} from "./sql_store.ts";
import { type Store, StoreError } from "./store.ts";
import { type RetryPolicy, withTransactionRetry } from "./transaction_retry.ts";

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` for a private in-memory database. */
  path: string;
  log: Logger;
  /** How long one attempt waits for another process's write lock; default 2000 ms. */
  busyTimeoutMs?: number;
  /** How often and how patiently a busy transaction is retried. */
  retry?: Partial<RetryPolicy>;
}

/** The part of node:sqlite this module uses, typed here for the reason above. */
interface StatementSync {
  all(...params: SqlValue[]): unknown[];
  run(...params: SqlValue[]): { changes: number | bigint };
}
interface DatabaseSync {
  exec(sql: string): void;
  prepare(sql: string): StatementSync;
  close(): void;
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
}
const DatabaseSync = UntypedDatabaseSync as new (path: string) => DatabaseSync;

/** Whether a node:sqlite error is SQLITE_BUSY or SQLITE_LOCKED (incl. extended codes). */
export function isSqliteBusy(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const errcode = (err as { errcode?: unknown }).errcode;
  if (typeof errcode === "number" && [5, 6].includes(errcode & 0xff)) return true;
  return /database (table )?is locked|database is busy/i.test(err.message);
}

/** `$1` → `?1`, and no `FOR UPDATE` (BEGIN IMMEDIATE already excludes other writers). */
export function toSqliteSql(sql: string): string {
  return sql.replace(/\$(\d+)/g, "?$1").replace(/\s+FOR UPDATE\s*$/i, "");
}

/**
 * A many-row statement's one-row text: the row as `VALUES ($1, …)`, or an
 * `IN` list's one value as `$1`. Pure.
 */
export function oneRowSql(statement: ManyRows): string {
  const row = statement.types.map((_, i) => `$${i + 1}`).join(", ");
  return statement.sql(statement.shape === "rows" ? `VALUES (${row})` : row);
}

/** One queue per database file in this process; see the module doc. */
const queues = new Map<string, Promise<void>>();

async function exclusive<T>(key: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const tail = previous.then(() => new Promise<void>((r) => release = r));
  queues.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (queues.get(key) === tail) queues.delete(key);
  }
}

/** Opens (creating if needed) a SQLite store; run `migrate()` before use. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const memory = options.path === ":memory:";
  const path = memory ? ":memory:" : resolve(options.path);
  // Each in-memory database is private to its connection: no queue to share.
  const queueKey = memory ? `:memory:${crypto.randomUUID()}` : path;
  let db: DatabaseSync;
  try {
    if (!memory) await Deno.mkdir(dirname(path), { recursive: true });
    db = new DatabaseSync(path);
  } catch (err) {
    throw new StoreError(
      `cannot open the SQLite database ${path}: ${(err as Error).message}; ` +
        "check the path and its permissions (DATABASE_URL=sqlite:PATH)",
      { cause: err },
    );
  }
  const log = options.log.child({ store: "sqlite" });
  const retry = { ...options.retry, isConflict: isSqliteBusy, log };
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 2000))}`);
  // Switching to WAL needs a moment of exclusive access: another process may be doing the same.
  await withTransactionRetry(
    () =>
      exclusive(queueKey, () => {
        if (!memory) db.exec("PRAGMA journal_mode = WAL");
        db.exec("PRAGMA synchronous = NORMAL");
      }),
    { ...retry, what: "open" },
  );

  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(toSqliteSql(sql));
      statements.set(sql, statement);
    }
    return statement;
  };
  // Inside a transaction: plain calls, the queue is already held.
  const tx: SqlTx = {
    all: (sql, params = []) => Promise.resolve(prepared(sql).all(...params) as SqlRow[]),
    run: (sql, params = []) => Promise.resolve(Number(prepared(sql).run(...params).changes)),
    many: (statement, rows) => {
      const one = rows.length ? prepared(oneRowSql(statement)) : undefined;
      return Promise.resolve(rows.flatMap((row) => one!.all(...row) as SqlRow[]));
    },
  };
  // Outside: wait for the queue, so a read never sees another call's uncommitted writes.
  const direct: SqlTx = {
    all: (sql, params) => exclusive(queueKey, () => tx.all(sql, params)),
    run: (sql, params) => exclusive(queueKey, () => tx.run(sql, params)),
    many: (statement, rows) => exclusive(queueKey, () => tx.many(statement, rows)),
  };

  const driver: SqlDriver = {
    backend: "sqlite",
    location: memory ? "sqlite::memory:" : `sqlite:${path}`,
    direct,
    transaction: (what, fn) =>
      withTransactionRetry(
        () =>
          exclusive(queueKey, async () => {
            db.exec("BEGIN IMMEDIATE");
            try {
              const result = await fn(tx);
              db.exec("COMMIT");
              return result;
            } catch (err) {
              if (db.isTransaction) db.exec("ROLLBACK");
              throw err;
            }
          }),
        { ...retry, what },
      ),
    close: () =>
      exclusive(queueKey, () => {
        statements.clear();
        if (db.isOpen) db.close();
      }),
  };
  log.debug("SQLite store opened", { path });
  return createSqlStore(driver);
}
