import assert from "node:assert/strict";
import { CONNECTOR_PLUGINS, mavenCentralUrl } from "./plugins.ts";
import { CONNECT_PARTS } from "./install.ts";

Deno.test("mavenCentralUrl: Maven's layout, with and without a classifier", () => {
  assert.equal(
    mavenCentralUrl({
      group: "org.hibernate.orm",
      artifact: "hibernate-hikaricp",
      version: "7.2.5.Final",
      extension: "jar",
      sha512: "",
    }),
    "https://repo1.maven.org/maven2/org/hibernate/orm/hibernate-hikaricp/7.2.5.Final/" +
      "hibernate-hikaricp-7.2.5.Final.jar",
  );
  assert.equal(
    mavenCentralUrl({
      group: "io.debezium",
      artifact: "debezium-connector-jdbc",
      version: "3.6.0.Final",
      classifier: "plugin",
      extension: "tar.gz",
      sha512: "",
    }),
    "https://repo1.maven.org/maven2/io/debezium/debezium-connector-jdbc/3.6.0.Final/" +
      "debezium-connector-jdbc-3.6.0.Final-plugin.tar.gz",
  );
});

Deno.test("CONNECTOR_PLUGINS: the local install's plugin folders, each file pinned", () => {
  const local = CONNECT_PARTS.filter((p) => p.dir.startsWith("plugins/"));
  assert.deepEqual(
    CONNECTOR_PLUGINS.map((p) => [p.profile, `plugins/${p.name}`]),
    local.map((p) => [p.profile, p.dir]),
  );
  for (const a of CONNECTOR_PLUGINS.flatMap((p) => p.artifacts)) {
    assert.match(a.sha512, /^[0-9a-f]{128}$/, a.artifact);
  }
});
