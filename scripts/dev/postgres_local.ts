/**
 * A throwaway PostgreSQL server in the foreground, for trying the consumers
 * against PostgreSQL without installing a service: creates a fresh cluster
 * from the Debian binaries, creates the database, prints its
 * `DATABASE_URL=…` line on stdout, and on Ctrl-C stops the server and
 * deletes everything.
 *
 *   deno run --allow-run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 \
 *     --allow-sys=uid scripts/dev/postgres_local.ts [--port 5433] [--database pipeline]
 *
 * (`--allow-run`: initdb and pg_ctl, through `runuser` when run as root.)
 * @module
 */
import { defineConfig } from "../../shared/platform/config.ts";
import { createLogger, logLevelFlag } from "../../shared/platform/log.ts";
import { shutdownSignal } from "../../shared/platform/shutdown.ts";
import {
  createDatabase,
  LocalPostgresError,
  startLocalPostgres,
} from "../../shared/dev/local_postgres.ts";
import { portFlag } from "../../shared/platform/port_flag.ts";

const config = defineConfig({
  name: "postgres_local",
  summary: "a throwaway local PostgreSQL server until Ctrl-C (needs the postgresql package)",
  flags: {
    port: portFlag("LOCAL_POSTGRES_PORT", 0, "port on 127.0.0.1 (0 = any free port)"),
    database: {
      type: "string",
      default: "pipeline",
      description: "database to create; DATABASE_URL points at it",
    },
    logLevel: logLevelFlag,
  },
});

async function main(): Promise<number> {
  const cfg = config.load();
  const log = createLogger({ name: "postgres_local", level: cfg.logLevel });
  let server;
  try {
    server = await startLocalPostgres({ log, port: cfg.port });
  } catch (err) {
    if (!(err instanceof LocalPostgresError)) throw err;
    console.error(`postgres_local: ${err.message}`);
    return 1;
  }
  const shutdown = shutdownSignal(log);
  try {
    const url = await createDatabase(server.url, cfg.database);
    console.log(`DATABASE_URL=${url}`);
    log.info("serving until Ctrl-C", { url, startMs: server.initdbMs + server.startMs });
    await new Promise((resolve) => shutdown.signal.addEventListener("abort", resolve));
    return 0;
  } finally {
    shutdown.dispose();
    await server.stop();
  }
}

if (import.meta.main) Deno.exit(await main());
