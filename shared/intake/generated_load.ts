/**
 * The load generator's sink: each batch of orders into the intake and, on
 * their own idempotent producer, the product views around each order
 * (shared/orders/clicks.ts) into the clickstream topic, both at once.
 *
 * @example
 * ```ts
 * import { DEFAULT_CATALOG } from "../orders/catalog.ts";
 * import { createClickGenerator } from "../orders/clicks.ts";
 * import { ordersWithClicks } from "./generated_load.ts";
 * const sink = ordersWithClicks({
 *   intake: { send: () => Promise.resolve() },
 *   clicks: createClickGenerator({ seed: 1, catalog: DEFAULT_CATALOG, viewsPerOrder: 0 }),
 *   topic: "clicks",
 * });
 * await sink.send([]);
 * sink.clicksSent; // 0
 * ```
 * @module
 */
import type { KafkaProducer } from "../kafka/client.ts";
import { messagesToProduce } from "../kafka/records.ts";
import { type ClickGenerator, clickMessage } from "../orders/clicks.ts";
import type { RawOrder } from "../orders/model.ts";

/** An order sink that counts the views it sent. */
export interface OrdersWithClicks {
  send(orders: readonly RawOrder[]): Promise<void>;
  readonly clicksSent: number;
}

/** Orders to `intake`, their views (when there is a `producer`) to `topic`. */
export function ordersWithClicks(options: {
  intake: { send(orders: readonly RawOrder[]): Promise<unknown> };
  clicks: ClickGenerator;
  producer?: Pick<KafkaProducer, "send">;
  topic: string;
}): OrdersWithClicks {
  const { intake, clicks, producer, topic } = options;
  let clicksSent = 0;
  return {
    get clicksSent() {
      return clicksSent;
    },
    async send(orders) {
      const views = producer ? orders.flatMap((o) => clicks.forOrder(o)) : [];
      await Promise.all([
        intake.send(orders),
        views.length
          ? producer!.send({
            acks: -1,
            messages: messagesToProduce([{ topic, messages: views.map(clickMessage) }]),
          })
          : undefined,
      ]);
      clicksSent += views.length;
    },
  };
}
