/**
 * The shipped scrape configuration, proven with a real Prometheus (Debian's
 * `prometheus` package, /usr/bin/prometheus; .ci/run installs it): the
 * inventory routing producer and the inventory data consumer run as real
 * processes on the real broker, Prometheus scrapes them with the jobs of
 * deploy/prometheus/scrape_config.ts (made from the service table,
 * scripts/services.ts; the source of prometheus.yml, only the targets
 * changed to this test's ports), and its query API must return
 * the series dashboards use: throughput, a latency histogram's buckets,
 * consumer lag from the broker, retry hand-offs and dead letters, with the
 * jobs' labels. promtool also checks the shipped prometheus.yml itself.
 */
import assert from "node:assert/strict";
import { prometheusConfig, SCRAPE_JOBS } from "../deploy/prometheus/scrape_config.ts";
import { integration, testBrokers, testKafka, uniqueName, waitFor } from "./harness.ts";
import {
  explained,
  produceRaw,
  rawOrders,
  routerArgs,
  type ScriptProcess,
  startScript,
  startTestPipeline,
  stopped,
} from "./pipeline.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const PROMTOOL = "/usr/bin/promtool";
const ROOT = new URL("../", import.meta.url);

/** A port free right now (the process given it binds it a moment later). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query against Prometheus's HTTP API. */
async function query(base: string, promql: string): Promise<Series[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${promql}: ${JSON.stringify(body)}`);
  return body.data.result as Series[];
}

Deno.test("promtool accepts the shipped prometheus.yml, which is the table's output", async () => {
  const file = new URL("deploy/prometheus/prometheus.yml", ROOT);
  assert.equal(
    await Deno.readTextFile(file),
    prometheusConfig(),
    "prometheus.yml is out of date: deno task services",
  );
  const out = await new Deno.Command(PROMTOOL, {
    args: ["check", "config", file.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /SUCCESS/);
});

Deno.test({
  name: "Prometheus scrapes the routing producer and the data consumer with the shipped jobs",
  ...integration,
  fn: async () => {
    const kafka = testKafka("prometheus-scrape-test");
    const pipeline = await startTestPipeline("prom");
    const tmp = await Deno.makeTempDir({ prefix: "prometheus-scrape-" });
    const procs: Record<string, ScriptProcess> = {};
    let prometheus: Deno.ChildProcess | undefined;
    let prometheusOutput = "";
    try {
      const ports = {
        inventory_orders_producer: freePort(),
        inventory_data_consumer: freePort(),
      };
      const orders = rawOrders(60, {
        seed: 42,
        invalidRate: 0.1,
        mix: { inventory: 3, delivery: 1 },
      });
      // A few inventory orders fail their first attempt, so retry hand-offs happen for sure.
      const flaky = orders.filter((o) => JSON.parse(o.value).type === "inventory").slice(0, 5)
        .map((o) => `${o.key}:1`);
      procs.router = startScript(
        "producers/inventory_orders_producer.ts",
        routerArgs(pipeline, "inventory", [
          "--metrics-port",
          String(ports.inventory_orders_producer),
          "--inject-flaky-orders",
          flaky.join(","),
          "--retry-initial-ms",
          "200",
        ]),
      );
      procs.consumer = startScript("consumers/inventory_data_consumer.ts", [
        "--brokers",
        testBrokers().join(","),
        "--registry-url",
        pipeline.registryUrl,
        "--database-url",
        `sqlite:${tmp}/store.db`,
        "--source-topics",
        pipeline.topics.inventoryOrders.name,
        "--status-topic",
        uniqueName("prom-status"),
        "--change-log-topic",
        uniqueName("prom-stock-changes"),
        "--group-id",
        uniqueName("prom-sync"),
        "--session-timeout-ms",
        "6000",
        "--metrics-port",
        String(ports.inventory_data_consumer),
        "--progress-interval",
        "0",
      ]);
      await produceRaw(kafka, pipeline.topics.orders.name, orders);

      // The shipped jobs, pointed at this test's processes.
      const jobs = SCRAPE_JOBS.filter((j) => j.job in ports);
      assert.equal(jobs.length, 2, "both scripts have a job in scrape_config.ts");
      const configFile = `${tmp}/prometheus.yml`;
      await Deno.writeTextFile(
        configFile,
        prometheusConfig({
          jobs,
          scrapeIntervalSeconds: 1,
          target: (j) => `127.0.0.1:${ports[j.job as keyof typeof ports]}`,
        }),
      );
      const promPort = freePort();
      const base = `http://127.0.0.1:${promPort}`;
      prometheus = new Deno.Command(PROMETHEUS, {
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${tmp}/data`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const decoder = new TextDecoder();
      const drain = async (s: ReadableStream<Uint8Array>) => {
        for await (const c of s) prometheusOutput += decoder.decode(c, { stream: true });
      };
      drain(prometheus.stdout);
      drain(prometheus.stderr);
      const all = { ...procs, prometheus: { output: () => prometheusOutput } };

      await explained(all, async () => {
        const job = (name: string) => `job="${name}"`;
        const router = job("inventory_orders_producer");
        const consumer = job("inventory_data_consumer");
        const orderTopic = pipeline.topics.orders.name;
        /**
         * Waits until `promql` returns at least `atLeast` series, each with the
         * given label values (targets come up one by one).
         */
        const seriesOf = (promql: string, labels: Record<string, string>, atLeast = 1) =>
          waitFor(promql, async () => {
            const result = await query(base, promql);
            return result.length >= atLeast &&
                result.every((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v))
              ? result
              : undefined;
          }, { timeoutMs: 90_000, intervalMs: 500 });

        // Throughput: every raw order consumed, under the job and script the config names.
        const consumed = await seriesOf(
          `router_consumed_total{${router}} >= ${orders.length}`,
          { job: "inventory_orders_producer", script: "inventory_orders_producer" },
        );
        assert.equal(consumed.length, 1);
        // Every target is up.
        const up = await seriesOf(
          `up{job=~"inventory_orders_producer|inventory_data_consumer"} == 1`,
          {},
          2,
        );
        assert.deepEqual(up.map((s) => s.metric.job).sort(), [
          "inventory_data_consumer",
          "inventory_orders_producer",
        ]);
        // Latencies as histograms: buckets with their `le`, up to +Inf.
        const buckets = await seriesOf(`router_transaction_seconds_bucket{${router}}`, {
          job: "inventory_orders_producer",
        });
        assert.ok(buckets.some((s) => s.metric.le === "+Inf"));
        assert.ok(buckets.length >= 10, `${buckets.length} buckets`);
        await seriesOf(
          `histogram_quantile(0.99, router_transaction_seconds_bucket{${router}}) > 0`,
          {},
        );
        // Retries and dead letters.
        await seriesOf(`retry_handoffs_total{${router},outcome="retry"} > 0`, {
          job: "inventory_orders_producer",
          outcome: "retry",
        });
        await seriesOf(`router_dead_lettered_total{${router}} > 0`, {
          job: "inventory_orders_producer",
        });
        await seriesOf(`router_transactions_total{${router},result="commit"} > 0`, {});
        // Lag, from the broker: present per partition, and zero once everything is routed.
        const lag = await seriesOf(`consumer_group_lag{${router},topic="${orderTopic}"}`, {
          job: "inventory_orders_producer",
          topic: orderTopic,
        }, pipeline.topics.orders.partitions);
        assert.equal(lag.length, pipeline.topics.orders.partitions);
        await seriesOf(`sum(consumer_group_lag{${router},topic="${orderTopic}"}) == 0`, {});
        // The consumer: records applied, its batch histogram, its own lag.
        await seriesOf(`consumer_records_total{${consumer}} > 0`, {
          job: "inventory_data_consumer",
        });
        await seriesOf(`consumer_batch_seconds_bucket{${consumer},le="+Inf"} > 0`, {});
        await seriesOf(
          `consumer_group_lag{${consumer},topic="${pipeline.topics.inventoryOrders.name}"}`,
          { job: "inventory_data_consumer" },
        );
        await seriesOf(`consumer_rebalances_total{${consumer}} > 0`, {});
      });

      // The lag timer must not hold a clean shutdown up.
      await stopped(procs.router);
      await stopped(procs.consumer);
    } finally {
      for (const p of Object.values(procs)) p.kill("SIGKILL");
      if (prometheus) {
        try {
          prometheus.kill("SIGTERM");
        } catch { /* exited */ }
        await prometheus.status;
      }
      await pipeline.close();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
