import assert from "node:assert/strict";
import { defaultSqlitePath, parseStoreUrl } from "./open_store.ts";
import { StoreError } from "./store.ts";

Deno.test("a postgres:// or postgresql:// URL selects PostgreSQL", () => {
  for (const url of ["postgres://u:p@db:5432/shop", "postgresql://db/shop", "POSTGRES://db/x"]) {
    assert.deepEqual(parseStoreUrl(url), { backend: "postgres", target: url });
  }
});

Deno.test("sqlite: URLs, and no URL at all, select SQLite", () => {
  assert.deepEqual(parseStoreUrl("sqlite:data/shop.db"), {
    backend: "sqlite",
    target: "data/shop.db",
  });
  assert.deepEqual(parseStoreUrl("sqlite:///var/lib/shop.db"), {
    backend: "sqlite",
    target: "/var/lib/shop.db",
  });
  assert.deepEqual(parseStoreUrl("sqlite::memory:"), { backend: "sqlite", target: ":memory:" });
  assert.deepEqual(parseStoreUrl(undefined, "/tmp/x.db"), {
    backend: "sqlite",
    target: "/tmp/x.db",
  });
  assert.deepEqual(parseStoreUrl(""), { backend: "sqlite", target: defaultSqlitePath() });
  assert.match(defaultSqlitePath(), /\.cache\/store\/pipeline\.sqlite$/);
});

Deno.test("any other URL is refused with what to use instead, password hidden", () => {
  assert.throws(
    () => parseStoreUrl("mysql://root:secret@db/shop"),
    (err: Error) =>
      err instanceof StoreError && /unsupported database URL "mysql:\/\/\*\*\*@db\/shop": use/
        .test(err.message) &&
      !err.message.includes("secret"),
  );
  assert.throws(() => parseStoreUrl("sqlite:"), StoreError);
});
