import assert from "node:assert/strict";
import { connectConfig, connectTargets } from "./config.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("connectTargets: the sink defaults to the storefront's database", () => {
  const cfg = connectConfig.parse(
    ["--brokers", "k:9092", "--source-database-url", "postgres://u:p@h:5432/shop"],
    env({}),
  );
  const targets = connectTargets(cfg);
  assert.equal(targets.source.name, "shop");
  assert.deepEqual(targets.sink, targets.source);
  assert.deepEqual(targets.clientProperties, {});
});

/** The flags every case needs, then `extra`. */
const withBoth = (...extra: string[]) => [
  "--brokers",
  "k:1",
  "--source-database-url",
  "postgres://h/a",
  ...extra,
];

Deno.test("connectTargets names the flag to fix", () => {
  const parse = (args: string[]) => connectConfig.parse(args, env({}));
  assert.throws(() => connectTargets(parse(["--brokers", "k:9092"])), /--source-database-url/);
  assert.throws(
    () => connectTargets(parse(["--source-database-url", "postgres://h/db"])),
    /--brokers/,
  );
  assert.throws(
    () => connectTargets(parse(withBoth("--sink-database-url", "x"))),
    /--sink-database-url: "x" is not a URL/,
  );
  assert.throws(
    () => connectTargets(parse(withBoth("--client-properties", "/p")), () => "no-value-here"),
    /--client-properties: \/p: "no-value-here" is not key=value/,
  );
});

Deno.test("connectTargets reads the client properties file", () => {
  const cfg = connectConfig.parse(withBoth("--client-properties", "/p"), env({}));
  const targets = connectTargets(cfg, () => "security.protocol=SASL_SSL\n");
  assert.deepEqual(targets.clientProperties, { "security.protocol": "SASL_SSL" });
});
