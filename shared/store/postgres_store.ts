/**
 * The PostgreSQL backend, through npm `pg` (a connection pool), chosen when
 * `DATABASE_URL` is a `postgres://` URL.
 *
 * Isolation: READ COMMITTED with row locks, not SERIALIZABLE. The guards do
 * not depend on snapshots: a batch locks its SKU rows (`SELECT … FOR
 * UPDATE`, which returns the newest committed version once it holds the
 * lock) before it decides any reservation, so what it reads is what it
 * changes, and stock cannot go below zero (a CHECK constraint backs it); a
 * batch first locks its partition's offset row (`FOR UPDATE`), so batches
 * of one partition run one after another; processed keys are unique rows,
 * and a concurrent insert of the same key waits for the first and then sees
 * it. SERIALIZABLE would add nothing here but aborts on every hot SKU. The
 * SKU rows are locked up front in sorted order, so two batches sharing SKUs
 * queue instead of deadlocking; a deadlock with some other writer, or a
 * unique-key race, retries the whole transaction.
 *
 * @example
 * ```ts
 * import { openPostgresStore } from "./postgres_store.ts";
 * import { createLogger } from "../platform/log.ts";
 * const store = await openPostgresStore({
 *   url: "postgres://postgres@127.0.0.1:5432/pipeline",
 *   log: createLogger({ name: "store" }),
 * });
 * await store.migrate();
 * await store.close();
 * ```
 * @module
 */
// @ts-types="@types/pg"
import pg from "pg";
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

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  url: string;
  log: Logger;
  /** Connections in the pool; default 4 (a consumer runs a few transactions at once at most). */
  poolSize?: number;
  /** How long to wait for a connection at start-up; default 10 s. */
  connectTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

/**
 * SQLSTATEs worth retrying the whole transaction for: serialization
 * failure, deadlock, and a unique-key race (the retry sees the winner's row).
 */
const CONFLICT_CODES = new Set(["40001", "40P01", "23505"]);

/** Whether a `pg` error is a conflict that a retry of the transaction resolves. */
export function isPostgresConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONFLICT_CODES.has(code);
}

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

/** `host:port` of a PostgreSQL URL, for error messages. */
function hostPort(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || "5432"}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** A connection error's text; Node's happy-eyeballs hides them inside an AggregateError. */
function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map(describe).join("; ");
  }
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

/** BIGINT (int8) as a JS number: offsets and epoch ms stay far below 2^53. */
const types = {
  getTypeParser:
    ((oid: number, format?: "text" | "binary") =>
      oid === pg.types.builtins.INT8
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Every distinct statement gets a name once, so `pg` prepares it once per connection. */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `pipeline_store_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * A many-row statement's text with each column bound as one array:
 * `SELECT c1, c2 FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS
 * r(c1, c2, i) ORDER BY i` for rows, so they arrive in their order (which
 * a serial key keeps), or `SELECT unnest($1::text[])` for an `IN` list.
 * Pure.
 */
export function unnestSql(statement: ManyRows): string {
  const arrays = statement.types.map((type, i) => `$${i + 1}::${type}[]`).join(", ");
  if (statement.shape === "list") return statement.sql(`SELECT unnest(${arrays})`);
  const columns = statement.types.map((_, i) => `c${i + 1}`).join(", ");
  return statement.sql(
    `SELECT ${columns} FROM unnest(${arrays}) WITH ORDINALITY AS r(${columns}, i) ORDER BY i`,
  );
}

function sqlOn(client: pg.Pool | pg.PoolClient): SqlTx {
  // A many-row statement binds one array per column.
  const query = (sql: string, params: readonly (SqlValue | SqlValue[])[]) =>
    // Parameterless statements (DDL among them) go unprepared: they run once.
    params.length === 0
      ? client.query<SqlRow>(sql)
      : client.query<SqlRow>({ name: statementName(sql), text: sql, values: [...params] });
  return {
    all: async (sql, params = []) => (await query(sql, params)).rows,
    run: async (sql, params = []) => (await query(sql, params)).rowCount ?? 0,
    many: async (statement, rows) => {
      if (rows.length === 0) return [];
      const columns = statement.types.map((_, c) => rows.map((row) => row[c]));
      return (await query(unnestSql(statement), columns)).rows;
    },
  };
}

/** Any constant works, as long as only migrations use it. */
const MIGRATION_LOCK_KEY = 7_262_300_114;

/**
 * Connects to PostgreSQL and checks the connection; a database that cannot
 * be reached is a {@linkcode StoreError} that says what to fix. Run
 * `migrate()` before use.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const log = options.log.child({ store: "postgres" });
  const location = redactUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: "order-pipeline",
    types,
  });
  // An idle connection that dies (server restart) must not crash the process.
  pool.on("error", (err) => log.warn("idle PostgreSQL connection failed", { error: err }));
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreError(
      `cannot connect to PostgreSQL at ${hostPort(options.url)}: ${describe(err)}; ` +
        "check DATABASE_URL and that the server is running",
      { cause: err },
    );
  }
  const retry = { ...options.retry, isConflict: isPostgresConflict, log };

  const driver: SqlDriver = {
    backend: "postgres",
    location,
    direct: sqlOn(pool),
    migrationLock: `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`,
    transaction: (what, fn) =>
      withTransactionRetry(async () => {
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
          const result = await fn(sqlOn(client));
          await client.query("COMMIT");
          return result;
        } catch (err) {
          // A connection that cannot even roll back is not given back to the pool.
          await client.query("ROLLBACK").catch(() => broken = true);
          throw err;
        } finally {
          client.release(broken);
        }
      }, { ...retry, what }),
    close: () => pool.end(),
  };
  log.debug("PostgreSQL store connected", { url: location });
  return createSqlStore(driver);
}
