/**
 * The notifier as a real process on the real broker, on both store
 * backends (embedded SQLite and a real PostgreSQL), with the local SMTP sink: orders with addresses and status
 * events in, the notifier SIGKILLed three times while it sends, and the
 * messages counted from the sink's own file (the oracle: it shares no code
 * with the notifier's client), the ledger read with plain SQL, and the dead
 * letters read with Kafka's Java consumer. Expected results come from the
 * test's own inputs.
 */
import assert from "node:assert/strict";
// @ts-ignore: this project's @types/node (v18, via testcontainers) predates node:sqlite
import { DatabaseSync } from "node:sqlite";
// @ts-types="@types/pg"
import pg from "pg";
import { readDeadLetterHeaders } from "../shared/retry/dead_letter.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import { type SinkEntry, startSmtpSink } from "../shared/dev/smtp_sink.ts";
import { CUSTOMER_FACING_STATUSES } from "../shared/notify/notification.ts";
import { type Backend, BACKENDS } from "./backends.ts";
import { integration, testBrokers, testKafka, uniqueName, waitFor } from "./harness.ts";
import {
  createTopics,
  explained,
  killAfterProgress,
  produceRaw,
  readAllCommitted,
  SERVICE_TEST_FLAGS,
  startScript,
  stopped,
} from "./pipeline.ts";

const NOTIFIER = "scripts/notifier.ts";
const ORDERS = 40;
const WAVES = 4;
const KILLS = 3;
const BAD = "bad@nowhere.invalid";
const LATER = "later@example.com";
/** Statuses of each order's events, in order; half of them customer-facing. */
const STATUSES = ["reserved", "restocked", "scheduled", "dispatched", "in_transit", "delivered"];

interface Input {
  orderId: string;
  email?: string;
}

function inputs(run: string): Input[] {
  return Array.from({ length: ORDERS }, (_, i) => {
    const orderId = `${run}-o${i}`;
    if (i === 0) return { orderId, email: BAD };
    // The last order's events come in the last wave, where no kill can drop the 451's hand-off.
    if (i === ORDERS - 1) return { orderId, email: LATER };
    // Orders 1..4 gave no address: their events send nothing.
    if (i < 5) return { orderId };
    return { orderId, email: `cust-${i}@example.com` };
  });
}

function rawOrder(input: Input) {
  return {
    orderId: input.orderId,
    type: "inventory",
    customerId: `cust-${input.orderId}`,
    ...(input.email ? { customerEmail: input.email } : {}),
    items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 10 }],
    createdAt: "2026-12-04T01:00:00Z",
  };
}

/** Event `k` of an order: its id is the status source's form, `<source>:<order>:<k>`. */
function statusEvent(orderId: string, k: number) {
  return {
    eventId: `inventory:${orderId}:${k}`,
    orderId,
    source: "inventory",
    status: STATUSES[k],
    at: Date.UTC(2026, 11, 4, 1, 0, k),
  };
}

const readSink = async (file: string): Promise<SinkEntry[]> => {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
};
const messagesOf = (entries: SinkEntry[]) =>
  entries.filter((e): e is Extract<SinkEntry, { kind: "message" }> => e.kind === "message");

/** The event ids in the ledger, read with the database's own client, not the store's code. */
async function ledgerEventIds(databaseUrl: string): Promise<string[]> {
  const sql = "SELECT event_id FROM notification_ledger";
  if (databaseUrl.startsWith("sqlite:")) {
    const db = new DatabaseSync(databaseUrl.slice("sqlite:".length), { readOnly: true });
    try {
      return (db.prepare(sql).all() as { event_id: string }[]).map((r) => r.event_id);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ event_id: string }>(sql)).rows.map((r) => r.event_id);
  } finally {
    await client.end();
  }
}

for (const makeBackend of BACKENDS) {
  Deno.test(
    `notifier on ${makeBackend.label}: one message per customer-facing event across SIGKILLs; bad address to the DLQ; 451 retried`,
    integration,
    async () => {
      const backend = await makeBackend();
      try {
        await notifierAcrossKills(backend);
      } finally {
        await backend.close();
      }
    },
  );
}

async function notifierAcrossKills(backend: Backend): Promise<void> {
  const run = uniqueName("notify");
  const dir = await Deno.makeTempDir({ prefix: "notifier-test-" });
  const sinkFile = `${dir}/mail.jsonl`;
  const databaseUrl = await backend.database();
  const sink = startSmtpSink({ port: 0, file: sinkFile, tempfail: [LATER], tempfailCount: 2 });
  const kafka = testKafka("notifier-test");
  const topics = { orders: `${run}-orders`, status: `${run}-status` };
  const retryBase = `${run}-notifications`;
  await createTopics([
    renamed(TOPICS.orders, topics.orders),
    renamed(TOPICS.orderStatus, topics.status),
  ]);
  const args = [
    "--brokers",
    testBrokers().join(","),
    "--database-url",
    databaseUrl,
    "--orders-topic",
    topics.orders,
    "--status-topic",
    topics.status,
    "--retry-base",
    retryBase,
    "--group-id",
    `${run}-notifier`,
    "--smtp-port",
    String(sink.port),
    "--retry-attempts",
    "3",
    "--retry-initial-ms",
    "200",
    "--retry-max-ms",
    "1000",
    "--transaction-size",
    "20",
    ...SERVICE_TEST_FLAGS,
  ];

  const orders = inputs(run);
  const events = orders.flatMap((o) => STATUSES.map((_, k) => ({ ...statusEvent(o.orderId, k) })));
  const emailOf = new Map(orders.map((o) => [o.orderId, o.email]));
  const facing = events.filter((e) =>
    (CUSTOMER_FACING_STATUSES as readonly string[]).includes(e.status)
  );
  // Expected from the inputs alone: a message per customer-facing event of an order with a
  // deliverable address; a dead letter per such event of the bad address.
  const expected = new Set(
    facing.filter((e) => emailOf.get(e.orderId) && emailOf.get(e.orderId) !== BAD)
      .map((e) => e.eventId),
  );
  const expectedDead = new Set(
    facing.filter((e) => emailOf.get(e.orderId) === BAD).map((e) => e.eventId),
  );

  let proc = startScript(NOTIFIER, args);
  try {
    await produceRaw(
      kafka,
      topics.orders,
      orders.map((o) => ({ key: o.orderId, value: JSON.stringify(rawOrder(o)) })),
    );
    // The events in waves; the notifier is killed in the middle of each of the first three.
    const perWave = Math.ceil(events.length / WAVES);
    let kills = 0;
    for (let w = 0; w < WAVES; w++) {
      const wave = events.slice(w * perWave, (w + 1) * perWave);
      const before = messagesOf(await readSink(sinkFile)).length;
      const waveExpected = wave.filter((e) => expected.has(e.eventId)).length;
      await produceRaw(
        kafka,
        topics.status,
        wave.map((e) => ({ key: e.orderId, value: JSON.stringify(e) })),
      );
      if (kills < KILLS) {
        // Mid-wave: once a few of its messages went out, not all of them.
        await killAfterProgress(proc, async () => {
          const n = messagesOf(await readSink(sinkFile)).length;
          return n >= before + Math.max(1, Math.floor(waveExpected / 3)) ? n : 0;
        });
        kills++;
        proc = startScript(NOTIFIER, args);
      }
    }
    assert.equal(kills, KILLS);

    const byEvent = new Map<string, Extract<SinkEntry, { kind: "message" }>[]>();
    await explained(
      { notifier: proc },
      () =>
        waitFor("every expected message in the sink", async () => {
          byEvent.clear();
          for (const m of messagesOf(await readSink(sinkFile))) {
            const id = m.headers["x-order-event-id"];
            byEvent.set(id, [...(byEvent.get(id) ?? []), m]);
          }
          return [...expected].every((id) => byEvent.has(id));
        }, { timeoutMs: 120_000, intervalMs: 250 }),
    );
    await stopped(proc);

    // Exactly the expected events were told, each under one Message-ID. A
    // second copy is possible only for a kill between the sink's 250 and
    // the ledger's write: at most one per partition being sent on at the
    // kill (chunks of different partitions are sent concurrently), and it
    // is the same message.
    assert.deepEqual([...byEvent.keys()].sort(), [...expected].sort());
    for (const [id, copies] of byEvent) {
      assert.equal(new Set(copies.map((c) => c.messageId)).size, 1, `${id}: one Message-ID`);
      assert.equal(new Set(copies.map((c) => c.body)).size, 1, `${id}: one body`);
      assert.deepEqual(copies[0].to, [
        emailOf.get(copies[0].headers["x-order-event-id"].split(":")[1]),
      ]);
    }
    const resent = [...byEvent.values()].filter((c) => c.length > 1).length;
    const bound = KILLS * TOPICS.orderStatus.partitions;
    assert.ok(resent <= bound, `${resent} events sent twice, more than ${bound}`);
    assert.ok([...byEvent.values()].every((c) => c.length <= 2), "no event sent three times");
    console.log(`kills: ${kills}; messages: ${byEvent.size}; re-sent after a kill: ${resent}`);

    // The ledger, read with plain SQL: one row per expected event, none else.
    assert.deepEqual((await ledgerEventIds(databaseUrl)).sort(), [...expected].sort());

    // The 451s happened and were retried: the sink refused LATER twice, then took its messages.
    const refusals = (await readSink(sinkFile)).filter((e) => e.kind === "refused");
    assert.equal(refusals.filter((r) => r.code === 451 && r.to === LATER).length, 2);
    const laterEvents = [...expected].filter((id) => emailOf.get(id.split(":")[1]) === LATER);
    assert.ok(laterEvents.length > 0);
    for (const id of laterEvents) assert.equal(byEvent.get(id)?.length, 1, `${id} once`);
    const retried = await readAllCommitted(kafka, `${retryBase}-retry-1`);
    assert.ok(retried.length >= 1, "a 451 went through the first retry topic");

    // The bad address: every one of its customer-facing events is a dead letter with the 550.
    const dead = await readAllCommitted(kafka, `${retryBase}-dlq`);
    const deadIds = dead.map((r) => JSON.parse(r.value!.toString()).eventId as string);
    assert.deepEqual(deadIds.sort(), [...expectedDead].sort());
    for (const r of dead) {
      const h = readDeadLetterHeaders(r.headers);
      assert.match(h.reason ?? "", /RCPT TO: 550 .*nowhere\.invalid/);
      assert.equal(h.stage, "notifier");
      assert.equal(h.originalTopic, topics.status);
    }
  } finally {
    proc.kill("SIGKILL");
    await proc.status;
    await sink.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
