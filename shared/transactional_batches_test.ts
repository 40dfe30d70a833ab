import assert from "node:assert/strict";
import { whileConcurrent } from "./transactional_batches.ts";

const refusal = () => Object.assign(new Error("concurrent"), { type: "CONCURRENT_TRANSACTIONS" });

Deno.test("whileConcurrent runs the step again while the broker refuses it as concurrent", async () => {
  let calls = 0;
  const got = await whileConcurrent(() => {
    calls++;
    return calls < 3 ? Promise.reject(refusal()) : Promise.resolve("done");
  }, { delayMs: 1 });
  assert.equal(got, "done");
  assert.equal(calls, 3);
});

Deno.test("whileConcurrent throws other errors at once, and refusals past its attempts", async () => {
  let calls = 0;
  await assert.rejects(
    whileConcurrent(() => {
      calls++;
      return Promise.reject(Object.assign(new Error("fenced"), { type: "INVALID_PRODUCER_EPOCH" }));
    }, { delayMs: 1 }),
    /fenced/,
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    whileConcurrent(() => {
      calls++;
      return Promise.reject(refusal());
    }, { attempts: 4, delayMs: 1 }),
    /concurrent/,
  );
  assert.equal(calls, 4);
});
