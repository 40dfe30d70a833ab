import assert from "node:assert/strict";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { createClickGenerator } from "../orders/clicks.ts";
import { createOrderGenerator, parseMix } from "../orders/generate.ts";
import type { RawOrder } from "../orders/model.ts";
import { ordersWithClicks } from "./generated_load.ts";

const orders = (() => {
  const generator = createOrderGenerator({
    seed: 7,
    mix: parseMix("inventory=1"),
    catalog: DEFAULT_CATALOG,
    invalidRate: 0,
  });
  return [generator.nextSample().order, generator.nextSample().order];
})();

Deno.test("orders go to the intake, their views to the clicks topic, counted", async () => {
  const intake: RawOrder[][] = [];
  const sent: { topic: string; count: number }[] = [];
  const sink = ordersWithClicks({
    intake: { send: (o) => Promise.resolve(void intake.push([...o])) },
    clicks: createClickGenerator({ seed: 7, catalog: DEFAULT_CATALOG, viewsPerOrder: 3 }),
    producer: {
      send: (r) => {
        // Every record names its topic; one name for the whole send.
        const topics = [...new Set(r.messages.map((m) => m.topic))].join(",");
        sent.push({ topic: topics, count: r.messages.length });
        return Promise.resolve({});
      },
    },
    topic: "clicks",
  });
  await sink.send(orders);
  assert.deepEqual(intake, [orders]);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].topic, "clicks");
  assert.equal(sink.clicksSent, sent[0].count);
  assert.ok(sink.clicksSent > 0);
});

Deno.test("without a producer only the orders are sent", async () => {
  let batches = 0;
  const sink = ordersWithClicks({
    intake: { send: () => Promise.resolve(void batches++) },
    clicks: createClickGenerator({ seed: 7, catalog: DEFAULT_CATALOG, viewsPerOrder: 3 }),
    topic: "clicks",
  });
  await sink.send(orders);
  assert.equal(batches, 1);
  assert.equal(sink.clicksSent, 0);
});
