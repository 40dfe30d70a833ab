/**
 * The delivery data consumer, the carrier simulator and the order status
 * service as real processes on the real broker, with an embedded SQLite
 * store: a delivery's whole lifecycle, impossible transitions refused
 * without stopping the partition, every transition exactly once across
 * SIGKILLs, and the status history over HTTP.
 */
import assert from "node:assert/strict";
import { type AvroCodec, createAvroCodec } from "../shared/kafka/avro_codec.ts";
import { deliveryFails } from "../shared/carrier/carrier.ts";
import type { OrderStatusEvent } from "../shared/orders/status_event.ts";
import { readDeadLetterHeaders } from "../shared/retry/dead_letter.ts";
import {
  DELIVERY_EVENT_SCHEMA,
  DELIVERY_EVENTS_SUBJECT,
  type DeliveryEventStatus,
  type DeliveryEventValue,
} from "../shared/orders/delivery_event_schema.ts";
import type { DeliveryOrder } from "../shared/orders/model.ts";
import { DELIVERY_ORDER_SCHEMA, DELIVERY_ORDERS_SUBJECT } from "../shared/orders/schemas.ts";
import { openStore } from "../shared/store/open_store.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import { topicOffsets } from "../shared/kafka/admin.ts";
import {
  integration,
  testAdmin,
  testBrokers,
  testKafka,
  testLogger,
  uniqueName,
  waitFor,
} from "./harness.ts";
import { type Backend, BACKENDS } from "./backends.ts";
import { dataConsumerArgs } from "./data_consumer.ts";
import {
  caughtUp,
  committedCount,
  createTopics,
  explained,
  killAfterProgress,
  produceMessages,
  readAllCommitted,
  type ScriptProcess,
  SERVICE_TEST_FLAGS,
  startScript,
  startTestPipeline,
  stopped,
  type TestKafka,
} from "./pipeline.ts";

const CONSUMER = "consumers/delivery_data_consumer.ts";
const CARRIER = "scripts/carrier_simulator.ts";
const STATUS_SERVICE = "scripts/order_status_service.ts";
const log = testLogger("delivery-consumer-test");

/** Per-test topics, registry, codecs and database; the consumer's arguments. */
async function setup(name: string, backend: Backend) {
  const pipeline = await startTestPipeline(name);
  const eventsTopic = renamed(TOPICS.deliveryEvents, uniqueName(`${name}-events`));
  const statusTopic = renamed(TOPICS.orderStatus, uniqueName(`${name}-status`));
  await createTopics([eventsTopic, statusTopic]);
  const databaseUrl = await backend.database();
  const group = uniqueName(`${name}-tracker`);
  const orderCodec = await createAvroCodec({
    registry: { url: pipeline.registryUrl },
    subject: DELIVERY_ORDERS_SUBJECT,
    schemas: [DELIVERY_ORDER_SCHEMA],
  });
  const eventCodec = await createAvroCodec({
    registry: { url: pipeline.registryUrl },
    subject: DELIVERY_EVENTS_SUBJECT,
    schemas: [DELIVERY_EVENT_SCHEMA],
  });
  const topics = {
    orders: pipeline.topics.deliveryOrders.name,
    events: eventsTopic.name,
    status: statusTopic.name,
    dlq: pipeline.topics.ordersDlq.name,
  };
  const consumerArgs = (extra: string[] = []) =>
    dataConsumerArgs({
      registryUrl: pipeline.registryUrl,
      databaseUrl,
      sourceTopics: [topics.orders, topics.events],
      statusTopic: topics.status,
      dlqTopic: topics.dlq,
      groupId: group,
      sessionTimeoutMs: 6000,
    }, extra);
  /** Whether the consumer has committed everything on both source topics. */
  const drained = async () =>
    (await caughtUp(group, topics.orders)) && (await caughtUp(group, topics.events));
  return {
    pipeline,
    topics,
    databaseUrl,
    group,
    orderCodec,
    eventCodec,
    consumerArgs,
    drained,
    async close() {
      await pipeline.close();
    },
  };
}

const T0 = Date.UTC(2024, 5, 18, 12);

function deliveryOrder(orderId: string): DeliveryOrder {
  return {
    orderId,
    customerId: "c-1",
    items: [{ sku: "SKU-1001", productName: "", quantity: 1, unitPrice: 9.5 }],
    total: 9.5,
    currency: "EUR",
    address: { name: "A", street: "S 1", city: "C", postalCode: "1000", country: "BE" },
    carrier: "dhl",
    windowFrom: T0,
    windowTo: T0 + 3_600_000,
    createdAt: T0 - 1000,
    routedAt: T0,
  };
}

function carrierEvent(
  orderId: string,
  status: DeliveryEventStatus,
  at: number,
  eventId = `${orderId}:${status}`,
): DeliveryEventValue {
  return { eventId, orderId, status, at, carrier: "dhl", reason: null };
}

/** Produces Avro values keyed by order id (or raw bytes), optionally all to one partition. */
async function produce(
  kafka: TestKafka,
  topic: string,
  codec: AvroCodec,
  values: ({ orderId: string } | { key: string; raw: string })[],
  partition?: number,
) {
  const messages = values.map((v) =>
    "raw" in v ? { key: v.key, value: v.raw, partition } : {
      key: v.orderId,
      value: codec.encode(v as unknown as Record<string, unknown>),
      partition,
    }
  );
  await produceMessages(kafka, topic, messages);
}

async function statusEvents(kafka: TestKafka, topic: string): Promise<OrderStatusEvent[]> {
  return (await readAllCommitted(kafka, topic)).map((m) =>
    JSON.parse(m.value!.toString()) as OrderStatusEvent
  );
}

/** Event ids that occur more than once. */
function repeated(events: OrderStatusEvent[]): string[] {
  const seen = new Map<string, number>();
  for (const e of events) seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

/** Waits for the consumer to commit both topics, with its output on failure. */
async function untilDrained(
  ctx: Awaited<ReturnType<typeof setup>>,
  proc: ScriptProcess,
  what: string,
) {
  await explained(
    { consumer: proc },
    () => waitFor(what, ctx.drained, { timeoutMs: 90_000, intervalMs: 300 }),
  );
}

for (const makeBackend of BACKENDS) {
  Deno.test(
    `delivery consumer on ${makeBackend.label}: lifecycle and impossible transitions`,
    integration,
    async (t) => {
      const kafka = testKafka();
      const backend = await makeBackend();
      try {
        await t.step("scheduled → dispatched → in_transit → delivered, each once", async () => {
          const ctx = await setup("lifecycle", backend);
          const ids = ["life-1", "life-2", "life-3"];
          const proc = startScript(CONSUMER, ctx.consumerArgs());
          try {
            await produce(kafka, ctx.topics.orders, ctx.orderCodec, ids.map(deliveryOrder));
            // Carrier updates follow the schedule, as they do from the carrier simulator.
            await untilDrained(ctx, proc, "the delivery orders");
            await produce(
              kafka,
              ctx.topics.events,
              ctx.eventCodec,
              ids.flatMap((id) => [
                carrierEvent(id, "dispatched", T0 + 1),
                carrierEvent(id, "in_transit", T0 + 2),
                carrierEvent(id, "delivered", T0 + 3),
              ]),
            );
            await untilDrained(ctx, proc, "the carrier updates");
            assert.match(proc.output(), /rebalanced: partitions assigned/);
          } finally {
            await stopped(proc);
          }

          const events = await statusEvents(kafka, ctx.topics.status);
          assert.deepEqual(repeated(events), [], "each transition once for read_committed readers");
          assert.equal(events.length, ids.length * 4);
          for (const id of ids) {
            const mine = events.filter((e) => e.orderId === id);
            assert.deepEqual(mine.map((e) => e.status), [
              "scheduled",
              "dispatched",
              "in_transit",
              "delivered",
            ], `${id}: in order, in one partition`);
            assert.deepEqual(mine.map((e) => e.eventId), [
              `delivery:${id}:scheduled:${id}`,
              `delivery:${id}:${id}:dispatched`,
              `delivery:${id}:${id}:in_transit`,
              `delivery:${id}:${id}:delivered`,
            ]);
            assert.deepEqual(mine[3].detail, {
              from: "in_transit",
              to: "delivered",
              carrier: "dhl",
            });
          }
          const store = await openStore({ url: ctx.databaseUrl, log });
          try {
            for (const id of ids) {
              const d = await store.delivery(id);
              assert.equal(d?.status, "delivered", id);
              assert.deepEqual(d?.history.map((h) => [h.to, h.outcome]), [
                ["scheduled", "applied"],
                ["dispatched", "applied"],
                ["in_transit", "applied"],
                ["delivered", "applied"],
              ]);
            }
          } finally {
            await store.close();
          }
          await ctx.close();
        });

        await t.step(
          "impossible transitions are rejected with a reason; the partition moves on",
          async () => {
            const ctx = await setup("illegal", backend);
            const proc = startScript(CONSUMER, ctx.consumerArgs());
            try {
              // All carrier updates on one partition, so "moves on" is about the same partition.
              const onePartition = (values: Parameters<typeof produce>[3]) =>
                produce(kafka, ctx.topics.events, ctx.eventCodec, values, 0);
              await onePartition([carrierEvent("ill-x", "dispatched", T0, "ill-x:too-early")]);
              await untilDrained(ctx, proc, "an update before its delivery was scheduled");
              await produce(
                kafka,
                ctx.topics.orders,
                ctx.orderCodec,
                ["ill-x", "ill-y"].map(deliveryOrder),
              );
              await untilDrained(ctx, proc, "the delivery orders");
              await onePartition([
                carrierEvent("ill-y", "dispatched", T0 + 1),
                carrierEvent("ill-y", "in_transit", T0 + 2),
                carrierEvent("ill-y", "delivered", T0 + 3),
                carrierEvent("ill-y", "dispatched", T0 + 4, "ill-y:dispatched-again"),
                { key: "ill-junk", raw: "not avro at all" },
                carrierEvent("ill-x", "dispatched", T0 + 5),
                carrierEvent("ill-x", "failed", T0 + 6),
              ]);
              await untilDrained(ctx, proc, "the updates after the refusals");
            } finally {
              await stopped(proc);
            }

            const events = await statusEvents(kafka, ctx.topics.status);
            assert.deepEqual(repeated(events), []);
            const of = (id: string) =>
              events.filter((e) => e.orderId === id).map((e) => [e.status, e.detail?.reason]);
            assert.deepEqual(of("ill-x"), [
              ["rejected", "a delivery must be scheduled first, not dispatched"],
              ["scheduled", undefined],
              ["dispatched", undefined],
              ["failed", undefined],
            ]);
            assert.deepEqual(of("ill-y"), [
              ["scheduled", undefined],
              ["dispatched", undefined],
              ["in_transit", undefined],
              ["delivered", undefined],
              ["rejected", "cannot go from delivered to dispatched"],
            ]);
            const rejected = events.find((e) =>
              e.eventId === "delivery:ill-y:ill-y:dispatched-again"
            )!;
            assert.deepEqual(rejected.detail, {
              from: "delivered",
              requested: "dispatched",
              carrier: "dhl",
              reason: "cannot go from delivered to dispatched",
            });

            const dead = await readAllCommitted(kafka, ctx.topics.dlq);
            assert.equal(dead.length, 1, "the undecodable update is dead-lettered, not dropped");
            assert.equal(dead[0].key!.toString(), "ill-junk");
            assert.match(readDeadLetterHeaders(dead[0].headers).reason!, /cannot decode/);

            const store = await openStore({ url: ctx.databaseUrl, log });
            try {
              assert.equal(
                (await store.delivery("ill-y"))?.status,
                "delivered",
                "refusal changed nothing",
              );
              const x = await store.delivery("ill-x");
              assert.equal(x?.status, "failed");
              assert.deepEqual(x?.history.map((h) => h.outcome), [
                "refused",
                "applied",
                "applied",
                "applied",
              ]);
            } finally {
              await store.close();
            }
            await ctx.close();
          },
        );
      } finally {
        await backend.close();
      }
    },
  );

  Deno.test(
    `delivery consumer on ${makeBackend.label}: SIGKILLed mid-stream and restarted, every ` +
      "transition exactly once; GET /orders/:id answers the history",
    integration,
    async (t) => {
      const kafka = testKafka();
      const backend = await makeBackend();
      try {
        const ctx = await setup("delivery-eos", backend);
        const count = 1000;
        const failureRate = 0.1;
        const ids = Array.from({ length: count }, (_, i) => `eos-${i}`);
        const finalOf = (id: string) => deliveryFails(id, failureRate) ? "failed" : "delivered";
        await produce(kafka, ctx.topics.orders, ctx.orderCodec, ids.map(deliveryOrder));

        // The carrier reacts to each scheduled delivery the consumer publishes.
        const carrier = startScript(CARRIER, [
          "--brokers",
          testBrokers().join(","),
          "--registry-url",
          ctx.pipeline.registryUrl,
          "--status-topic",
          ctx.topics.status,
          "--events-topic",
          ctx.topics.events,
          "--group-id",
          uniqueName("carrier"),
          "--delay-ms",
          "0",
          "--failure-rate",
          String(failureRate),
          ...SERVICE_TEST_FLAGS,
        ]);
        const committed = async () =>
          (await committedCount(ctx.group, ctx.topics.orders)) +
          (await committedCount(ctx.group, ctx.topics.events));
        const total = count * 4;
        const everything = async () => {
          const admin = testAdmin("delivery-offsets");
          let ends;
          try {
            ends = await topicOffsets(admin, ctx.topics.events);
          } finally {
            await admin.close();
          }
          const updates = ends.reduce((n, p) => n + p.high, 0);
          return updates >= count * 3 && await ctx.drained();
        };
        try {
          // Small batches, so a kill very likely lands inside one.
          const args = ctx.consumerArgs(["--batch-size", "10", "--linger-ms", "20"]);
          let kills = 0;
          let before = 0;
          const outputs: string[] = [];
          while (kills < 3 && !(await everything())) {
            const proc = startScript(CONSUMER, args);
            before = await killAfterProgress(proc, async () => {
              const n = await committed();
              return n >= before + 500 || (await everything()) ? n || 1 : 0;
            }, { timeoutMs: 120_000 });
            outputs.push(proc.output());
            kills++;
          }
          assert.ok(kills >= 2, `kills landed mid-stream: ${kills}`);
          const last = startScript(CONSUMER, args);
          try {
            await explained(
              { consumer: last, carrier },
              () =>
                waitFor("the last instance to finish every delivery", everything, {
                  timeoutMs: 180_000,
                  intervalMs: 500,
                }),
            );
          } finally {
            await stopped(last);
          }
          outputs.push(last.output());
          // How often a restart found the store ahead of Kafka (TEST_LOG_LEVEL=info shows it).
          const fenced = outputs.join("\n").match(/republishing its events/g)?.length ?? 0;
          log.info("kills and batches republished after them", { kills, fenced });
        } finally {
          await stopped(carrier);
        }

        await t.step("the store has every transition once", async () => {
          const store = await openStore({ url: ctx.databaseUrl, log });
          try {
            for (const id of ids) {
              const d = await store.delivery(id);
              assert.equal(d?.status, finalOf(id), id);
              assert.deepEqual(
                d?.history.map((h) => `${h.to}:${h.outcome}`),
                ["scheduled", "dispatched", "in_transit", finalOf(id)].map((s) => `${s}:applied`),
                id,
              );
            }
          } finally {
            await store.close();
          }
        });

        const events = await statusEvents(kafka, ctx.topics.status);
        await t.step("read_committed sees each status event exactly once, none missing", () => {
          assert.deepEqual(repeated(events), [], "no duplicates");
          const expected = new Set(ids.flatMap((id) => [
            `delivery:${id}:scheduled:${id}`,
            ...["dispatched", "in_transit", finalOf(id)].map((s) => `delivery:${id}:${id}:${s}`),
          ]));
          const missing = [...expected].filter((e) => !events.some((x) => x.eventId === e));
          assert.deepEqual(missing.slice(0, 10), [], `no gaps (${missing.length} missing)`);
          assert.equal(events.length, total);
          const failed = events.filter((e) => e.status === "failed");
          assert.ok(
            failed.length > 50 && failed.length < 160,
            `about 10% failed: ${failed.length}`,
          );
          assert.ok(failed.every((e) => typeof e.detail?.reason === "string"), "with a reason");
        });

        await t.step("GET /orders/:id answers the status and its history", async () => {
          const service = startScript(STATUS_SERVICE, [
            "--brokers",
            testBrokers().join(","),
            "--status-topic",
            ctx.topics.status,
            "--port",
            "0",
            "--progress-interval",
            "0",
          ]);
          try {
            const base = await waitFor(
              "the service to listen",
              () => /"url":"(http:\/\/[^"]+)\/orders\/:id"/.exec(service.output())?.[1],
              {
                timeoutMs: 30_000,
              },
            );
            await waitFor("the view to hold every event", async () => {
              const res = await fetch(`${base}/healthz`);
              const body = await res.json();
              return res.ok && body.events === total;
            }, { timeoutMs: 60_000, intervalMs: 200 });
            const failedId = ids.find((id) => finalOf(id) === "failed")!;
            for (const id of [ids[0], failedId, ids[count - 1]]) {
              const res = await fetch(`${base}/orders/${encodeURIComponent(id)}`);
              assert.equal(res.status, 200);
              const body = await res.json();
              assert.equal(body.orderId, id);
              assert.equal(body.status, finalOf(id));
              assert.deepEqual(
                body.history.map((e: OrderStatusEvent) => e.status),
                ["scheduled", "dispatched", "in_transit", finalOf(id)],
              );
              assert.deepEqual(
                body.history,
                events.filter((e) => e.orderId === id),
                "the same events as the stream",
              );
            }
            const missing = await fetch(`${base}/orders/no-such-order`);
            assert.equal(missing.status, 404);
            assert.match((await missing.json()).error, /no-such-order/);
            const metrics = await (await fetch(`${base}/metrics`)).text();
            assert.match(metrics, /status_events_total\{[^}]*result="added"\} 4000/);
          } finally {
            await stopped(service);
          }
        });
        await ctx.close();
      } finally {
        await backend.close();
      }
    },
  );
}
