import assert from "node:assert/strict";
import { aclBindings, aclCommandArgs, aclCommandLines, aclTable } from "./acls.ts";
import { kafkaPrincipals, SCRIPTS } from "../../scripts/services.ts";

Deno.test("aclBindings: reads, writes, groups, transactional ids, IdempotentWrite for writers", () => {
  const b = aclBindings({
    principal: "router",
    reads: ["orders"],
    writes: ["inventory_orders"],
    groups: ["g"],
    groupPrefixes: ["tmp-"],
    transactionalIdPrefixes: ["g-"],
  });
  assert.deepEqual(
    b.map((x) => `${x.operation} ${x.resourceType} ${x.resourceName} ${x.patternType}`),
    [
      "READ TOPIC orders LITERAL",
      "WRITE TOPIC inventory_orders LITERAL",
      "READ GROUP g LITERAL",
      "READ GROUP tmp- PREFIXED",
      "WRITE TRANSACTIONAL_ID g- PREFIXED",
      "IDEMPOTENT_WRITE CLUSTER kafka-cluster LITERAL",
    ],
  );
  assert.ok(b.every((x) => x.principal === "User:router"));
});

Deno.test("aclBindings: a reader only gets no IdempotentWrite, and nothing twice", () => {
  const b = aclBindings({ principal: "r", reads: ["t", "t"], groups: ["g"] });
  assert.equal(b.length, 2);
  assert.ok(!b.some((x) => x.operation === "IDEMPOTENT_WRITE"));
});

Deno.test("aclCommandArgs: kafka-acls flags for a topic, a prefix and the cluster", () => {
  const [read, , , , txn, cluster] = aclBindings({
    principal: "p",
    reads: ["orders"],
    writes: ["x"],
    groups: ["g"],
    groupPrefixes: ["h-"],
    transactionalIdPrefixes: ["g-"],
  });
  const where = { bootstrap: "b:9093", commandConfig: "admin.properties" };
  assert.deepEqual(aclCommandArgs(read, where), [
    "--bootstrap-server",
    "b:9093",
    "--command-config",
    "admin.properties",
    "--add",
    "--allow-principal",
    "User:p",
    "--operation",
    "Read",
    "--topic",
    "orders",
  ]);
  assert.deepEqual(aclCommandArgs(txn, where).slice(-4), [
    "--transactional-id",
    "g-",
    "--resource-pattern-type",
    "prefixed",
  ]);
  assert.deepEqual(aclCommandArgs(cluster, where).slice(-3), [
    "--operation",
    "IdempotentWrite",
    "--cluster",
  ]);
  assert.match(aclCommandLines([read], where)[0], /^kafka-acls\.sh --bootstrap-server b:9093 /);
});

Deno.test("the catalog gives every Kafka script its own principal, and none of them Create or Delete", () => {
  const principals = kafkaPrincipals();
  const names = principals.map((p) => p.principal);
  assert.equal(new Set(names).size, names.length, "one principal per script");
  for (
    const expected of [
      "inventory_orders_producer",
      "delivery_orders_producer",
      "inventory_data_consumer",
      "delivery_data_consumer",
      "aggregator",
      "schema_registry",
      "order_gateway",
      "dlq_replayer",
      "dashboard",
    ]
  ) assert.ok(names.includes(expected), `${expected} has a principal`);
  const all = principals.flatMap(aclBindings);
  assert.ok(
    all.every((b) => ["READ", "WRITE", "DESCRIBE", "IDEMPOTENT_WRITE"].includes(b.operation)),
  );
  // A script that never talks to Kafka has no principal.
  const terminal = SCRIPTS.find((s) => s.name === "terminal_dashboard");
  assert.equal(terminal?.kafka, undefined);
  assert.match(aclTable(all), /User:inventory_orders_producer\s+Write\s+topic inventory_orders/);
});

Deno.test("a routing producer may write its target but not the other route's", () => {
  const inv = aclBindings(
    kafkaPrincipals().find((p) => p.principal === "inventory_orders_producer")!,
  );
  const writes = inv.filter((b) => b.operation === "WRITE" && b.resourceType === "TOPIC")
    .map((b) => b.resourceName);
  assert.ok(writes.includes("inventory_orders"));
  assert.ok(!writes.includes("delivery_orders"));
  assert.ok(!writes.includes("orders"), "it never writes the raw orders");
});
