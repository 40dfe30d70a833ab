import assert from "node:assert/strict";
import type { StatsSnapshot } from "../aggregate/snapshot.ts";
import { statsSnapshot } from "../aggregate/snapshot.ts";
import { emptyState } from "../aggregate/state.ts";
import { statsCards, totalsOf } from "./stats_view.ts";
import { ThroughputHistory } from "./throughput.ts";

function snapshot(orders: number): StatsSnapshot {
  const s = statsSnapshot(emptyState(), { topN: 5 });
  s.orders = {
    count: orders,
    value: orders * 10,
    averagePrice: 10,
    invalid: 3,
    unparseable: 1,
    byType: {
      inventory: { count: orders - 2, value: 1, averagePrice: 1 },
      return: { count: 2, value: 1, averagePrice: 1 },
    },
  };
  s.status = { ...s.status, events: 50, processed: 45, refusedForStock: 3, rejected: 2 };
  s.retried = { total: 4, byTopic: {} };
  s.deadLettered = {
    total: 10,
    byClass: { validation: 6, unparseable: 4 },
    byTopic: {},
    byStage: { router: 10 },
  };
  return s;
}

Deno.test("cards count every order in, and outcomes on the consumer side", () => {
  const history = new ThroughputHistory();
  history.add(totalsOf(snapshot(100), 0));
  history.add(totalsOf(snapshot(120), 2000));
  const cards = statsCards(snapshot(120), history);
  assert.equal(cards.producer.ordersIn, 124);
  assert.equal(cards.producer.invalid, 4);
  assert.equal(cards.producer.ratePerSec, 10);
  assert.deepEqual(cards.producer.byType.map((t) => t.name), ["inventory", "return"]);
  assert.equal(cards.consumer.refused, 5);
  assert.equal(cards.consumer.successRate, 0.75);
  assert.deepEqual(cards.deadLetteredByClass, [
    { name: "validation", count: 6 },
    { name: "unparseable", count: 4 },
  ]);
});

Deno.test("an empty snapshot gives zeros, not NaN", () => {
  const cards = statsCards(statsSnapshot(emptyState(), { topN: 5 }), new ThroughputHistory());
  assert.equal(cards.consumer.successRate, 0);
  assert.equal(cards.producer.ratePerSec, 0);
  assert.deepEqual(cards.ordersPerWindow.windows, []);
});
