import assert from "node:assert/strict";
import { silentLogger } from "../platform/log.ts";
import type { DlqEntry } from "./entry.ts";
import type { DlqContents, DlqToRead } from "./read_dlq.ts";
import { type ReplayIo, type ReplayOptions, runReplay } from "./replay.ts";
import { groupSelection, selectionFrom } from "./selection.ts";
import { deadLetterEntry } from "./test_entry.ts";

const places = (entries: readonly DlqEntry[]) => entries.map((e) => `${e.partition}/${e.offset}`);

/**
 * A DLQ `orders-dlq` with `contents` (undefined: the read is interrupted),
 * its ledger listed when `ledgerExists`; the `failSend`th transaction fails.
 * `steps` records each call in order.
 */
function fakeIo(contents: DlqContents | undefined, options: {
  ledgerExists?: boolean;
  failSend?: number;
} = {}) {
  const steps: string[] = [];
  let sends = 0;
  const io: ReplayIo = {
    topicNames: () => {
      steps.push("list");
      const names = ["orders-dlq", ...(options.ledgerExists ? ["orders-dlq-replayed"] : [])];
      return Promise.resolve(new Set(names));
    },
    fence: () => {
      steps.push("fence");
      return Promise.resolve({
        send: (batch) => {
          if (++sends === options.failSend) return Promise.reject(new Error("fenced"));
          steps.push(`send ${places(batch).join(",")}`);
          return Promise.resolve();
        },
        close: () => {
          steps.push("close");
          return Promise.resolve();
        },
      });
    },
    read: (dlq: DlqToRead) => {
      steps.push(`read ${dlq.topic}${dlq.withLedger ? " with ledger" : ""}`);
      // Without its ledger, a read knows of nothing replayed.
      return Promise.resolve(
        contents && (dlq.withLedger ? contents : { ...contents, replayed: new Set<string>() }),
      );
    },
  };
  return { io, steps };
}

const options = (more: Partial<ReplayOptions> = {}): ReplayOptions => ({
  topic: "orders-dlq",
  selection: selectionFrom({ all: true }),
  log: silentLogger,
  ...more,
});

const fiveEntries = () => ({
  entries: [
    deadLetterEntry({ partition: 1, offset: "0", replayTopic: "orders-retry-1" }),
    deadLetterEntry({ offset: "2" }),
    deadLetterEntry({ offset: "1" }),
    deadLetterEntry({ offset: "3", reason: "lost" }),
    deadLetterEntry({ offset: "4", reason: "elsewhere" }),
  ],
  replayed: new Set(["0/3"]),
});

Deno.test("a replay fences before it reads the ledger, then sends what the ledger lacks", async () => {
  const { io, steps } = fakeIo(fiveEntries());
  const outcome = await runReplay(io, options({ transactionSize: 2 }));
  assert.deepEqual(steps, [
    "list",
    "fence",
    "read orders-dlq with ledger",
    "send 0/1,0/2",
    "send 0/4,1/0",
    "close",
  ]);
  assert.deepEqual(
    [outcome.matched, outcome.alreadyReplayed, outcome.replayed, outcome.interrupted],
    [5, 1, 4, false],
  );
  assert.deepEqual(outcome.to, { orders: 3, "orders-retry-1": 1 });
  assert.equal(outcome.error, undefined);
});

Deno.test("a dry run neither fences nor sends, and reads a ledger only where there is one", async () => {
  for (const ledgerExists of [false, true]) {
    const { io, steps } = fakeIo(fiveEntries(), { ledgerExists });
    const outcome = await runReplay(
      io,
      options({ dryRun: true, selection: groupSelection("lost") }),
    );
    assert.deepEqual(steps, ["list", `read orders-dlq${ledgerExists ? " with ledger" : ""}`]);
    assert.deepEqual([outcome.matched, outcome.alreadyReplayed, outcome.replayed], [
      1,
      ledgerExists ? 1 : 0,
      0,
    ]);
    assert.deepEqual(outcome.to, ledgerExists ? {} : { orders: 1 }, "where they would go");
    assert.deepEqual(places(outcome.pending), ledgerExists ? [] : ["0/3"]);
  }
});

Deno.test("a missing DLQ fails before anything is created", async () => {
  const { io, steps } = fakeIo(fiveEntries());
  const outcome = await runReplay(io, options({ topic: "nowhere-dlq" }));
  assert.match(outcome.error!.message, /the dead-letter topic nowhere-dlq does not exist/);
  assert.deepEqual(steps, ["list"]);
});

Deno.test("an interrupted read sends nothing: a partial ledger must not be acted on", async () => {
  const { io, steps } = fakeIo(undefined);
  const outcome = await runReplay(io, options());
  assert.deepEqual(steps, ["list", "fence", "read orders-dlq with ledger", "close"]);
  assert.deepEqual([outcome.interrupted, outcome.replayed], [true, 0]);
});

Deno.test("a failed transaction ends the replay with the counts of those committed", async () => {
  const { io, steps } = fakeIo(fiveEntries(), { failSend: 2 });
  const outcome = await runReplay(io, options({ transactionSize: 2 }));
  assert.equal(outcome.error?.message, "fenced");
  assert.deepEqual([outcome.replayed, outcome.to], [2, { orders: 2 }]);
  assert.equal(steps.at(-1), "close", "the producer is closed all the same");
});

Deno.test("an abort between transactions stops the replay there", async () => {
  const abort = new AbortController();
  const { io, steps } = fakeIo(fiveEntries());
  const outcome = await runReplay(io, {
    ...options({ transactionSize: 2, signal: abort.signal }),
    progress: () => ({ update: (done) => done === 2 && abort.abort(), finish: () => {} }),
  });
  assert.deepEqual(steps.filter((s) => s.startsWith("send")), ["send 0/1,0/2"]);
  assert.deepEqual([outcome.interrupted, outcome.replayed], [true, 2]);
});

Deno.test("records that name nowhere to go are skipped, the rest still go", async () => {
  const lost = deadLetterEntry({ offset: "7" });
  lost.dlq = { reason: "not JSON" };
  const { io, steps } = fakeIo({
    entries: [lost, deadLetterEntry({ offset: "8" })],
    replayed: new Set(),
  });
  const outcome = await runReplay(io, options({ selection: groupSelection("not JSON") }));
  assert.deepEqual([outcome.matched, outcome.unroutable, outcome.replayed], [2, 1, 1]);
  assert.ok(steps.includes("send 0/8"));
});

Deno.test("an --order-id selection matches values the registry decoded", async () => {
  const avro = deadLetterEntry({
    offset: "1",
    key: "SKU-1",
    value: new Uint8Array([0, 0, 0, 0, 7]),
  });
  const { io } = fakeIo({ entries: [avro], replayed: new Set() });
  const sel = { selection: selectionFrom({ orderId: "o-1" }), dryRun: true };
  assert.equal((await runReplay(io, options(sel))).matched, 0, "without a registry");
  io.decode = () => Promise.resolve({ decoded: { orderId: "o-1" } });
  assert.equal((await runReplay(io, options(sel))).matched, 1);
});

Deno.test("records that all failed validation are not sent unless forced", async () => {
  const invalid = (offset: string, quantity: number) =>
    deadLetterEntry({
      offset,
      failure: {
        errorClass: "validation",
        reason: `items[0].quantity: must be a positive whole number, got ${quantity}`,
        stage: "inventory_orders_producer",
      },
    });
  const contents = () => ({
    entries: [invalid("0", 0), invalid("1", -2)],
    replayed: new Set<string>(),
  });
  const refused = fakeIo(contents());
  const outcome = await runReplay(refused.io, options());
  assert.deepEqual(refused.steps, ["list", "fence", "read orders-dlq with ledger", "close"]);
  assert.deepEqual([outcome.refused, outcome.replayed, outcome.matched], [true, 0, 2]);
  assert.match(outcome.validationWarning!, /^all 2 records to replay failed validation/);
  const forced = fakeIo(contents());
  const sent = await runReplay(forced.io, options({ force: true }));
  assert.deepEqual([sent.refused, sent.replayed], [false, 2]);
  assert.ok(sent.validationWarning, "the warning stands beside a forced replay");
  assert.ok(forced.steps.includes("send 0/0,0/1"));
  // A dry run writes nothing anyway: it warns, and lists what would go.
  const dry = await runReplay(fakeIo(contents()).io, options({ dryRun: true }));
  assert.deepEqual([dry.refused, places(dry.pending)], [false, ["0/0", "0/1"]]);
  assert.ok(dry.validationWarning);
});
