/**
 * Values the order tests share, so that a raw order and what it is routed
 * to are written from one fact.
 * @module
 */
import type { Address } from "./model.ts";

/**
 * The delivery address of the test delivery orders: raw in, routed out.
 *
 * @example
 * ```ts
 * import { TEST_ADDRESS } from "./test_orders.ts";
 * const order = { orderId: "ord-2", delivery: { address: TEST_ADDRESS } };
 * ```
 */
export const TEST_ADDRESS: Address = {
  name: "Anna de Vries",
  street: "Main Street 1",
  city: "Amsterdam",
  postalCode: "1012 AB",
  country: "NL",
};
