/**
 * Opens the store a script's configuration asks for: PostgreSQL for a
 * `postgres://` or `postgresql://` URL (`DATABASE_URL`), otherwise the
 * embedded SQLite (`sqlite:PATH`, `sqlite::memory:`, or the default file),
 * and brings its schema up to date.
 *
 * @example
 * ```ts
 * import { openStore } from "./open_store.ts";
 * import { createLogger } from "../platform/log.ts";
 * const log = createLogger({ name: "inventory-consumer" });
 * const store = await openStore({ url: Deno.env.get("DATABASE_URL"), log });
 * log.info("store ready", { store: store.location });
 * await store.close();
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Logger } from "../platform/log.ts";
import { openPostgresStore } from "./postgres_store.ts";
import { openSqliteStore } from "./sqlite_store.ts";
import { type Store, type StoreBackend, StoreError } from "./store.ts";
import type { RetryPolicy } from "./transaction_retry.ts";

/** Where the embedded database lives when nothing says otherwise: `.cache/` (git-ignored). */
export function defaultSqlitePath(): string {
  return fileURLToPath(new URL("../../.cache/store/pipeline.sqlite", import.meta.url));
}

/** Which backend a URL selects, and its target; pure. */
export function parseStoreUrl(
  url: string | undefined,
  sqlitePath?: string,
): { backend: StoreBackend; target: string } {
  const u = url?.trim();
  if (!u) return { backend: "sqlite", target: sqlitePath ?? defaultSqlitePath() };
  if (/^postgres(ql)?:\/\//i.test(u)) return { backend: "postgres", target: u };
  if (/^sqlite:/i.test(u)) {
    // sqlite:PATH and sqlite://PATH both name a file; sqlite::memory: a private in-memory one.
    const path = u.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new StoreError(`"${u}" names no file; use sqlite:PATH`);
    return { backend: "sqlite", target: path };
  }
  throw new StoreError(
    `unsupported database URL "${u.replace(/\/\/[^@/]*@/, "//***@")}": ` +
      "use postgres://user@host:port/db, postgresql://…, or sqlite:PATH",
  );
}

export interface OpenStoreOptions {
  /** `DATABASE_URL`: postgres://, postgresql://, sqlite:PATH; unset means SQLite. */
  url?: string;
  /** The SQLite file when `url` is unset; default {@linkcode defaultSqlitePath}. */
  sqlitePath?: string;
  log: Logger;
  /** Run migrations (default true): every script brings the schema up to date at start-up. */
  migrate?: boolean;
  retry?: Partial<RetryPolicy>;
  /** SQLite only: how long one attempt waits for a write lock. */
  busyTimeoutMs?: number;
  /** PostgreSQL only: pooled connections. */
  poolSize?: number;
}

/** Opens and migrates the store `url` names; throws a one-sentence {@linkcode StoreError}. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { backend, target } = parseStoreUrl(options.url, options.sqlitePath);
  const store = backend === "postgres"
    ? await openPostgresStore({
      url: target,
      log: options.log,
      poolSize: options.poolSize,
      retry: options.retry,
    })
    : await openSqliteStore({
      path: target,
      log: options.log,
      busyTimeoutMs: options.busyTimeoutMs,
      retry: options.retry,
    });
  if (options.migrate ?? true) {
    try {
      const { applied, version } = await store.migrate();
      options.log.info("store ready", { store: store.location, schemaVersion: version, applied });
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
  }
  return store;
}
