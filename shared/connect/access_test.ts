import assert from "node:assert/strict";
import { connectAccess } from "./access.ts";
import { aclBindings } from "../kafka/acls.ts";

Deno.test("connectAccess: the internal topics, orders out, status in, the two groups, KIP-618 ids", () => {
  const access = connectAccess({
    groupId: "g",
    ordersTopic: "orders",
    statusTopic: "order_status",
  });
  assert.deepEqual(access.reads, ["g.configs", "g.offsets", "g.status", "order_status"]);
  assert.deepEqual(access.writes, ["g.configs", "g.offsets", "g.status", "orders"]);
  assert.deepEqual(access.groups, ["g", "connect-order-status-report"]);
  assert.deepEqual(access.transactionalIds, ["connect-cluster-g"]);
  assert.deepEqual(access.transactionalIdPrefixes, ["g-storefront-outbox-"]);
  // Nothing beyond: no write to order_status, no read of orders.
  const bindings = aclBindings({ principal: "connect", ...access });
  assert.ok(!bindings.some((b) => b.resourceName === "order_status" && b.operation === "WRITE"));
  assert.ok(!bindings.some((b) => b.resourceName === "orders" && b.operation === "READ"));
});
