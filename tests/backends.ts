/**
 * The two store backends integration tests run against: embedded SQLite
 * (a temp file per database) and a real PostgreSQL (a throwaway server from
 * Debian's binaries, or TEST_DATABASE_URL's server; a database per test).
 * @module
 */
import { createDatabase, startLocalPostgres } from "../shared/dev/local_postgres.ts";
import { testLogger, uniqueName } from "./harness.ts";

export interface Backend {
  name: string;
  /** A fresh, empty database for one test, as a DATABASE_URL. */
  database(): Promise<string>;
  close(): Promise<void>;
}

export type BackendFactory = (() => Promise<Backend>) & { label: string };

async function sqlite(): Promise<Backend> {
  const dir = await Deno.makeTempDir({ prefix: "pipeline-store-" });
  let n = 0;
  return {
    name: "SQLite",
    database: () => Promise.resolve(`sqlite:${dir}/store-${n++}.db`),
    close: () => Deno.remove(dir, { recursive: true }),
  };
}

async function postgres(): Promise<Backend> {
  const fromEnv = Deno.env.get("TEST_DATABASE_URL");
  const server = fromEnv ? undefined : await startLocalPostgres({ log: testLogger("postgres") });
  const admin = fromEnv ?? server!.url;
  return {
    name: "PostgreSQL",
    database: () => createDatabase(admin, uniqueName("store").replace(/-/g, "_")),
    close: async () => {
      await server?.stop();
    },
  };
}

export const sqliteBackend: BackendFactory = Object.assign(sqlite, { label: "SQLite" });
export const postgresBackend: BackendFactory = Object.assign(postgres, { label: "PostgreSQL" });

/** Both backends, for `for (const backend of BACKENDS) Deno.test(...)`. */
export const BACKENDS: BackendFactory[] = [sqliteBackend, postgresBackend];
