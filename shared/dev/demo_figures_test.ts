import assert from "node:assert/strict";
import {
  figures,
  finalFigures,
  finalFiguresText,
  finalStatistics,
  generatorTotals,
} from "./demo_figures.ts";

Deno.test("the generator's closing totals are its last JSON line", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(
      file,
      [
        '{"ts":"x","msg":"progress"}',
        '{"seed":1,"sent":5,"byType":{"inventory":5}}',
        '{"seed":2,"sent":7,"byType":{"delivery":7}}',
        '{"seed":3,"sent":', // a torn last line
      ].join("\n"),
    );
    assert.deepEqual(await generatorTotals(file), { seed: 2, sent: 7, byType: { delivery: 7 } });
    assert.equal(await generatorTotals(`${file}-missing`), undefined);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("figures from /metrics, statistics from /stats; a source that does not answer gives none", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/stats"
        ? Response.json({
          orders: { count: 3, value: 1234.5, averagePrice: 411.5, invalid: 1, unparseable: 0 },
          status: { processed: 2 },
          retried: { total: 0 },
          deadLettered: { total: 1 },
        })
        : new Response("router_consumed_total 4\n"),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const url = `${base}/metrics`;
    const now = await figures(
      { inventory: url, delivery: url, inventoryConsumer: url, deliveryConsumer: url },
      `${base}/stats`,
    );
    assert.equal(now.rawOrdersConsumed, 4);
    assert.equal(now.deadLettered, 0);
    assert.equal(now.aggregatorOrders, 3);
    const stats = await finalStatistics(`${base}/stats`);
    assert.match(stats!, /Total orders processed +3/);
    assert.match(stats!, /Total price sum +1,234\.50/);
    assert.equal(await finalStatistics(`${base}/nothing`), undefined);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the final figures: generated first, the scripts' figures, other types last", async () => {
  const down = "http://127.0.0.1:1/metrics";
  const scripts = await figures(
    { inventory: down, delivery: down, inventoryConsumer: down, deliveryConsumer: down },
    "http://127.0.0.1:1/stats",
  );
  const generated = { sent: 10, byType: { inventory: 4, delivery: 5, return: 1 } };
  const final = finalFigures(generated, { ...scripts, rawOrdersConsumed: 10 });
  const names = Object.keys(final);
  assert.equal(names[0], "ordersGenerated");
  assert.equal(names.at(-1), "otherTypesGenerated");
  assert.equal(final.ordersGenerated, 10);
  assert.equal(final.rawOrdersConsumed, 10);
  assert.equal(final.otherTypesGenerated, 1, "neither inventory nor delivery");
  assert.deepEqual(
    [
      finalFigures(undefined, scripts).ordersGenerated,
      finalFigures(undefined, scripts).otherTypesGenerated,
    ],
    [0, 0],
    "no generator, nothing generated",
  );
  const text = finalFiguresText({ ordersGenerated: 10, deadLettered: 2 });
  assert.equal(text, "\nFinal figures\n  ordersGenerated        10\n  deadLettered           2\n");
});
