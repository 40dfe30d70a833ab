/**
 * `scripts/verify.ts` as a real process against a real pipeline on the
 * suite's broker (both routing producers and both data consumers, on
 * per-test topics and a per-test SQLite file): it passes when the pipeline
 * is right, and fails naming the order when a real duplicate is put on a
 * real target topic.
 */
import assert from "node:assert/strict";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import { integration, testBrokers, testKafka, uniqueName, waitFor } from "./harness.ts";
import { dataConsumerArgs } from "./data_consumer.ts";
import {
  createTopics,
  produceMessages,
  readAllCommitted,
  routerTopic,
  type ScriptProcess,
  startRouter,
  startScript,
  startTestPipeline,
} from "./pipeline.ts";

const VERIFY = "scripts/verify.ts";
const COUNT = 8;

/** The `kind sent=… routed=… …` lines verify prints, as numbers by kind. */
function summary(output: string): Record<string, Record<string, number>> {
  const rows: Record<string, Record<string, number>> = {};
  for (const m of output.matchAll(/^(inventory|delivery|invalid|other|total) +(sent=.*)$/gm)) {
    rows[m[1]] = Object.fromEntries(
      m[2].split(" ").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]),
    );
  }
  return rows;
}

const row = (sent: number, routed: number, applied: number, deadLettered: number) => ({
  sent,
  routed,
  applied,
  "dead-lettered": deadLettered,
  lost: 0,
  duplicated: 0,
  wrong: 0,
});

async function finished(p: ScriptProcess): Promise<{ code: number; output: string }> {
  const status = await p.status;
  return { code: status.code, output: p.output() };
}

Deno.test("verify audits a running pipeline end to end", integration, async (t) => {
  const kafka = testKafka();
  const pipeline = await startTestPipeline("verify");
  const status = renamed(TOPICS.orderStatus, uniqueName("verify-status"));
  const consumerDlq = renamed(TOPICS.ordersDlq, uniqueName("verify-consumer-dlq"));
  await createTopics([status, consumerDlq]);
  const dir = await Deno.makeTempDir({ prefix: "verify-test-" });
  const databaseUrl = `sqlite:${dir}/store.db`;
  const t$ = pipeline.topics;
  const consumerArgs = (kind: "inventory" | "delivery") =>
    dataConsumerArgs({
      registryUrl: pipeline.registryUrl,
      databaseUrl,
      sourceTopics: [routerTopic(pipeline, kind)],
      statusTopic: status.name,
      changeLogTopic: kind === "inventory" ? uniqueName("verify-stock-changes") : undefined,
      dlqTopic: consumerDlq.name,
      groupId: uniqueName(`verify-${kind}`),
    });
  const processes = [
    startRouter(pipeline, "inventory"),
    startRouter(pipeline, "delivery"),
    startScript("consumers/inventory_data_consumer.ts", consumerArgs("inventory")),
    startScript("consumers/delivery_data_consumer.ts", consumerArgs("delivery")),
  ];
  const verifyArgs = (extra: string[]) => [
    "--brokers",
    testBrokers().join(","),
    "--registry-url",
    pipeline.registryUrl,
    "--database-url",
    databaseUrl,
    "--orders-topic",
    t$.orders.name,
    "--inventory-topic",
    t$.inventoryOrders.name,
    "--delivery-topic",
    t$.deliveryOrders.name,
    "--dlq-topic",
    t$.ordersDlq.name,
    "--status-topic",
    status.name,
    "--count",
    String(COUNT),
    "--timeout-seconds",
    "150",
    ...extra,
  ];
  /** The pipeline's own logs, for a failure that is theirs. */
  const explain = (output: string) =>
    `${output}\n${
      processes.map((p, i) => `--- pipeline process ${i}:\n${p.output().slice(-1500)}`).join("\n")
    }`;

  try {
    // The store is the consumers' to create (verify opens it read-only).
    await waitFor(
      "both consumers to open the store",
      () => processes.slice(2).every((p) => p.output().includes('"store open"')),
      { timeoutMs: 60_000 },
    ).catch((err) => {
      throw new Error(explain(String(err)));
    });
    let runId = "";
    await t.step("a correct pipeline: every order exactly once, exit 0", async () => {
      const { code, output } = await finished(startScript(VERIFY, verifyArgs([])));
      assert.equal(code, 0, explain(output));
      runId = /verify run ([a-z0-9]+):/.exec(output)?.[1] ?? "";
      assert.ok(runId, output);
      const rows = summary(output);
      assert.deepEqual(rows.inventory, row(COUNT, COUNT, COUNT, 0), output);
      assert.deepEqual(rows.delivery, row(COUNT, COUNT, COUNT, 0), output);
      assert.deepEqual(rows.invalid, row(COUNT, 0, 0, COUNT), output);
      assert.deepEqual(rows.other, row(COUNT, 0, 0, 0), output);
      assert.deepEqual(rows.total, row(4 * COUNT, 2 * COUNT, 2 * COUNT, COUNT), output);
      assert.match(output, /^OK/m);
    });

    await t.step("a real duplicate on delivery_orders: exit 1, the order named", async () => {
      // One of the run's routed delivery records, produced a second time as it is.
      const records = await readAllCommitted(kafka, t$.deliveryOrders.name);
      const victim = records.find((m) => m.key?.toString().startsWith(`verify-${runId}-delivery-`));
      assert.ok(victim, "a routed delivery order of the run");
      await produceMessages(kafka, t$.deliveryOrders.name, [
        { key: victim.key, value: victim.value },
      ]);
      const orderId = victim.key!.toString();

      const { code, output } = await finished(
        startScript(VERIFY, verifyArgs(["--audit-only", "--run-id", runId])),
      );
      assert.equal(code, 1, explain(output));
      assert.match(output, new RegExp(`^duplicated orders \\(1\\): ${orderId}$`, "m"));
      assert.match(output, new RegExp(`duplicated ${orderId} \\[delivery_orders\\]`));
      assert.equal(summary(output).delivery.duplicated, 1, output);
      assert.equal(summary(output).total.lost, 0, output);
      assert.match(output, /^FAILED/m);
    });
  } finally {
    for (const p of processes) p.kill("SIGTERM");
    for (const p of processes) await p.status;
    await pipeline.close();
    await Deno.remove(dir, { recursive: true });
  }
});
