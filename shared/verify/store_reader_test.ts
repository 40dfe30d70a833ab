import assert from "node:assert/strict";
import { openStoreReader, StoreReadError } from "./store_reader.ts";

Deno.test("a store that is not there, or not the pipeline's, is one clear error", async () => {
  await assert.rejects(
    openStoreReader("sqlite:/nonexistent/dir/x.db"),
    /cannot open the SQLite store .*DATABASE_URL/,
  );
  await assert.rejects(openStoreReader("mysql://x"), StoreReadError);
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/empty.db`;
    await Deno.writeFile(path, new Uint8Array());
    const reader = await openStoreReader(`sqlite:${path}`);
    await assert.rejects(reader.read("a", "b"), /no pipeline tables .*--database-url/);
    await reader.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
