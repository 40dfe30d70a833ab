/**
 * The verify audit's store reader (plain SQL, not shared/store/) on both
 * backends, against the schema and rows the product's own store writes.
 */
import assert from "node:assert/strict";
import { openStore } from "../shared/store/open_store.ts";
import { openStoreReader } from "../shared/verify/store_reader.ts";
import { BACKENDS } from "./backends.ts";
import { integration, testLogger } from "./harness.ts";

const log = testLogger("verify-store-reader-test");

for (const makeBackend of BACKENDS) {
  Deno.test(
    `verify reads the ${makeBackend.label} store as the product wrote it`,
    integration,
    async () => {
      const backend = await makeBackend();
      try {
        const url = await backend.database();
        const store = await openStore({ url, log });
        try {
          await store.applyInventoryBatch(
            { group: "g", topic: "t", partition: 0, firstOffset: 0, nextOffset: 4 },
            [
              {
                orderId: "verify-r-inventory-0",
                lineIndex: 0,
                sku: "VERIFY-r-S0",
                quantity: 3,
                movement: "RESTOCK",
              },
              {
                orderId: "other-1",
                lineIndex: 0,
                sku: "VERIFY-r-S0",
                quantity: 1,
                movement: "RESERVE",
              },
              {
                orderId: "verify-r-inventory-1",
                lineIndex: 0,
                sku: "VERIFY-r-EMPTY",
                quantity: 1,
                movement: "RESERVE",
              },
              { orderId: "other-2", lineIndex: 0, sku: "SKU-1", quantity: 1, movement: "RESTOCK" },
            ],
          );
          await store.applyDeliveryBatch(
            { group: "d", topic: "t", partition: 0, firstOffset: 0, nextOffset: 1 },
            [{
              eventId: "scheduled:verify-r-delivery-0",
              orderId: "verify-r-delivery-0",
              status: "scheduled",
              at: 1,
            }],
          );
        } finally {
          await store.close();
        }
        const reader = await openStoreReader(url);
        try {
          const seen = await reader.read("verify-r-", "VERIFY-r-");
          assert.deepEqual(
            seen.inventoryLines.map((l) => [l.orderId, l.sku, l.movement, l.quantity, l.outcome])
              .sort(),
            [
              ["other-1", "VERIFY-r-S0", "RESERVE", 1, "applied"],
              ["verify-r-inventory-0", "VERIFY-r-S0", "RESTOCK", 3, "applied"],
              ["verify-r-inventory-1", "VERIFY-r-EMPTY", "RESERVE", 1, "refused"],
            ],
          );
          assert.deepEqual(
            seen.stock.sort((a, b) => a.sku.localeCompare(b.sku)),
            [{ sku: "VERIFY-r-EMPTY", onHand: 0 }, { sku: "VERIFY-r-S0", onHand: 2 }],
          );
          assert.deepEqual(seen.deliveries, [{
            orderId: "verify-r-delivery-0",
            status: "scheduled",
          }]);
          assert.deepEqual(seen.deliveryEvents, [{
            eventId: "scheduled:verify-r-delivery-0",
            orderId: "verify-r-delivery-0",
            toStatus: "scheduled",
            outcome: "applied",
          }]);
        } finally {
          await reader.close();
        }
      } finally {
        await backend.close();
      }
    },
  );
}
