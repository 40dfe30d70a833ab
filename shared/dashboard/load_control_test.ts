import assert from "node:assert/strict";
import type { RawOrder } from "../orders/model.ts";
import { LoadControl, parseLoadRequest } from "./load_control.ts";

function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

Deno.test("load requests need a rate within bounds", () => {
  assert.deepEqual(parseLoadRequest({ rate: 25 }, 100), { rate: 25 });
  for (const bad of [{}, { rate: 0 }, { rate: -1 }, { rate: 101 }, { rate: "5" }, null]) {
    assert.ok("error" in parseLoadRequest(bad, 100), JSON.stringify(bad));
  }
});

Deno.test("the load is off until started, sends while on, and stops", async () => {
  const got: RawOrder[] = [];
  const load = new LoadControl({
    sink: { send: (orders) => (got.push(...orders), Promise.resolve()) },
    maxRate: 1000,
    seed: 1,
  });
  assert.equal(load.status().running, false);
  load.start(200);
  await waitUntil(() => load.status().sent >= 20, "20 orders");
  assert.equal(load.status().rate, 200);
  load.start(400);
  assert.equal(load.status().rate, 400);
  const stopped = await load.stop();
  assert.equal(stopped.running, false);
  assert.equal(stopped.rate, 0);
  assert.equal(stopped.sent, got.length);
  const after = got.length;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.length, after, "nothing is sent after stop");
});

Deno.test("a failing sink stops the load and says why", async () => {
  const load = new LoadControl({
    sink: { send: () => Promise.reject(new Error("Kafka is not connected")) },
    maxRate: 100,
  });
  load.start(50);
  await waitUntil(() => !load.status().running, "the run to end");
  assert.equal(load.status().error, "Kafka is not connected");
  assert.ok(load.status().failed > 0);
});
