import assert from "node:assert/strict";
import { createLogger } from "../platform/log.ts";
import { isPostgresConflict, unnestSql } from "./postgres_store.ts";
import type { ManyRows } from "./sql_store.ts";
import { isSqliteBusy, oneRowSql, toSqliteSql } from "./sqlite_store.ts";
import { StoreBusyError } from "./store.ts";
import { retryDelayMs, withTransactionRetry } from "./transaction_retry.ts";

Deno.test("retry delays double up to the cap, with ±50 % jitter", () => {
  const policy = { baseDelayMs: 10, maxDelayMs: 100 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 0.5)), [
    10,
    20,
    40,
    80,
    100,
    100,
  ]);
  assert.equal(retryDelayMs(2, policy, () => 0), 10);
  assert.equal(retryDelayMs(2, policy, () => 0.999), 30);
});

Deno.test("a conflict is retried; other errors and exhausted retries are not hidden", async () => {
  const conflict = Object.assign(new Error("deadlock detected"), { code: "40P01" });
  const lines: string[] = [];
  const log = createLogger({ name: "t", level: "debug", write: (l) => lines.push(l) });
  let calls = 0;
  const value = await withTransactionRetry(() => {
    if (++calls < 3) throw conflict;
    return Promise.resolve("done");
  }, { isConflict: isPostgresConflict, baseDelayMs: 1, log, what: "test" });
  assert.deepEqual([value, calls, lines.length], ["done", 3, 2]);

  await assert.rejects(
    withTransactionRetry(() => Promise.reject(new TypeError("bug")), {
      isConflict: isPostgresConflict,
    }),
    TypeError,
  );
  calls = 0;
  await assert.rejects(
    withTransactionRetry(() => (calls++, Promise.reject(conflict)), {
      isConflict: isPostgresConflict,
      attempts: 4,
      baseDelayMs: 1,
    }),
    (err: Error) =>
      err instanceof StoreBusyError && err.attempts === 4 && err.cause === conflict &&
      /4 attempts \(deadlock detected\)/.test(err.message),
  );
  assert.equal(calls, 4);
});

Deno.test("what counts as a conflict on each backend", () => {
  assert.ok(isSqliteBusy(new Error("database is locked")));
  assert.ok(isSqliteBusy(Object.assign(new Error("x"), { errcode: 517 }))); // SQLITE_BUSY_SNAPSHOT
  assert.ok(!isSqliteBusy(Object.assign(new Error("CHECK constraint failed"), { errcode: 275 })));
  for (const code of ["40001", "40P01", "23505"]) {
    assert.ok(isPostgresConflict(Object.assign(new Error(), { code })));
  }
  assert.ok(!isPostgresConflict(Object.assign(new Error(), { code: "23514" }))); // check violation
  assert.ok(!isPostgresConflict(new Error("ECONNREFUSED")));
});

Deno.test("PostgreSQL-style SQL becomes SQLite's", () => {
  assert.equal(
    toSqliteSql("SELECT a FROM t WHERE k = $1 AND j = $12 FOR UPDATE"),
    "SELECT a FROM t WHERE k = ?1 AND j = ?12",
  );
});

Deno.test("a many-row statement: one row at a time on SQLite, one array per column on PostgreSQL", () => {
  const insert: ManyRows = {
    shape: "rows",
    types: ["text", "bigint"],
    sql: (source) => `INSERT INTO t (k, v) ${source} ON CONFLICT (k) DO NOTHING`,
  };
  const lock: ManyRows = {
    shape: "list",
    types: ["text"],
    sql: (source) => `SELECT k FROM t WHERE k IN (${source}) ORDER BY k FOR UPDATE`,
  };
  assert.equal(
    oneRowSql(insert),
    "INSERT INTO t (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING",
  );
  assert.equal(oneRowSql(lock), "SELECT k FROM t WHERE k IN ($1) ORDER BY k FOR UPDATE");
  assert.equal(
    unnestSql(insert),
    "INSERT INTO t (k, v) SELECT c1, c2 FROM unnest($1::text[], $2::bigint[]) " +
      "WITH ORDINALITY AS r(c1, c2, i) ORDER BY i ON CONFLICT (k) DO NOTHING",
  );
  assert.equal(
    unnestSql(lock),
    "SELECT k FROM t WHERE k IN (SELECT unnest($1::text[])) ORDER BY k FOR UPDATE",
  );
});
