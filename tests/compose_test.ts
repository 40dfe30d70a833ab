/**
 * There is no Docker engine here, so compose.yaml and the Grafana
 * provisioning are checked as documents (parsed with a real YAML parser):
 * every service they depend on exists, every long-running script runs with
 * exactly the permission flags its row of the service table
 * (scripts/services.ts; `deno task services` writes them) gives it and serves
 * `/metrics` where deploy/prometheus/scrape_config.ts says, which is also
 * where each script's `--help` says its port is by default; Prometheus and
 * Grafana mount the shipped files, and every series the dashboard queries
 * is one a script registers. (tests/prometheus_scrape_test.ts proves the
 * scrape config on a real Prometheus.)
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { defaultPort, scriptByEntry, scriptByName, SCRIPTS } from "../scripts/services.ts";
import { SCRAPE_JOBS } from "../deploy/prometheus/scrape_config.ts";
import { runScript } from "./run_script.ts";

const ROOT = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
}

async function compose(): Promise<{ services: Record<string, Service>; volumes: object }> {
  // Merge keys (`<<: *anchor`) are YAML 1.1; Docker Compose reads them.
  return parse(await read("compose.yaml"), { merge: true });
}

/** The script a service runs: the entry after the permission flags of `deno run`. */
function entryOf(service: Service): string | undefined {
  const cmd = service.command ?? [];
  return cmd[0] === "run" ? cmd.find((a) => a.endsWith(".ts")) : undefined;
}

Deno.test("compose: the whole system, each dependency a service of the file", async () => {
  const { services, volumes } = await compose();
  for (
    const name of [
      "kafka",
      "schema-registry",
      "postgres",
      "prometheus",
      "grafana",
      ...SCRAPE_JOBS.map((j) => j.service),
      "order-generator",
      "terminal-dashboard",
    ]
  ) assert.ok(services[name], `service ${name}`);
  // Every long-running script of the table (those the demo runs) is a service, its deps fetched.
  for (const script of SCRIPTS.filter((s) => s.demo)) {
    const service = services[script.name.replaceAll("_", "-")];
    assert.equal(entryOf(service ?? {}), script.entry, `compose runs ${script.name}`);
    assert.ok(services["deno-deps"].command?.includes(script.entry), `deno-deps: ${script.entry}`);
  }
  // The dashboard scrapes the routers and consumers where the table says they serve /metrics.
  for (const target of String(services.dashboard.environment?.DASHBOARD_SCRAPE).split(",")) {
    const [name, url] = target.split("=");
    const port = defaultPort(scriptByName(name)!, "metricsPort");
    assert.equal(url, `http://${name.replaceAll("_", "-")}:${port}/metrics`, name);
  }
  assert.match(services.kafka.image!, /^apache\/kafka:/);
  assert.match(services["schema-registry"].image!, /^confluentinc\/cp-schema-registry:/);
  for (const [name, s] of Object.entries(services)) {
    for (const dep of Object.keys(s.depends_on ?? {})) {
      assert.ok(services[dep], `${name} depends on ${dep}, which is no service`);
    }
    for (const v of s.volumes ?? []) {
      const source = v.split(":")[0];
      if (source.startsWith(".")) {
        await Deno.stat(new URL(source, ROOT)); // a mounted path of the repository exists
      } else assert.ok(source in volumes, `${name}: volume ${source} is declared`);
    }
  }
});

Deno.test("compose: every script runs with its catalog permissions and the documented env", async () => {
  const { services } = await compose();
  const scripts = Object.entries(services).filter(([, s]) => entryOf(s));
  assert.ok(scripts.length >= 10, `${scripts.length} script services`);
  for (const [name, s] of scripts) {
    const entry = entryOf(s)!;
    const catalog = scriptByEntry(entry);
    assert.ok(catalog, `${name}: ${entry} is in scripts/services.ts`);
    assert.deepEqual(
      s.command!.slice(0, catalog.permissions.length + 2),
      ["run", ...catalog.permissions, entry],
      `${name}: the catalog's permission flags, exactly`,
    );
    if (s.build) {
      // An image of its own (Connect's needs Java) is still Deno's, the same release.
      const from = (await read(s.build.dockerfile)).match(/^FROM (\S+)/m)?.[1];
      assert.equal(from, services["deno-deps"].image, `${name}: built FROM Deno's image`);
    } else {
      assert.match(s.image!, /^denoland\/deno:/);
    }
    assert.ok(s.volumes?.includes(".:/app"), `${name}: the repository is mounted`);
    if (name === "terminal-dashboard") continue;
    assert.equal(s.environment?.KAFKA_BROKERS, "kafka:9092", name);
    assert.equal(s.environment?.SCHEMA_REGISTRY_URL, "http://schema-registry:8081", name);
    assert.match(String(s.environment?.DATABASE_URL), /^postgres:\/\/.*@postgres:5432\//, name);
    assert.equal(s.depends_on?.kafka?.condition, "service_healthy", name);
    assert.equal(s.depends_on?.["schema-registry"]?.condition, "service_healthy", name);
  }
  assert.equal(services["terminal-dashboard"].environment?.STATS_URL, "http://aggregator:8083");
  assert.deepEqual(services["terminal-dashboard"].profiles, ["tools"]);
});

Deno.test("compose: each scraped script listens where the scrape config looks", async () => {
  const { services } = await compose();
  for (const job of SCRAPE_JOBS) {
    const s = services[job.service];
    const entry = entryOf(s)!;
    assert.equal(scriptByEntry(entry)?.name, job.job, `${job.service} runs the ${job.job} script`);
    const env = s.environment ?? {};
    if (job.portFlag === "--metrics-port") {
      assert.equal(Number(env.METRICS_PORT), job.port, `${job.service}: METRICS_PORT`);
      assert.equal(
        env.METRICS_HOST,
        "0.0.0.0",
        `${job.service}: /metrics reachable from Prometheus`,
      );
    }
    // The script's own default is the same port, so it is right outside compose too.
    const text = (await runScript(entry, ["--help"])).stdout;
    const line = text.split("\n").find((l) => l.trimStart().startsWith(`${job.portFlag} `));
    assert.ok(line, `${entry} --help lists ${job.portFlag}`);
    assert.match(line, new RegExp(`\\[default: ${job.port}\\]`), `${entry}: ${line}`);
  }
  // The HTTP faces people use are published on the host.
  for (
    const [service, port] of [["order-gateway", 8080], ["aggregator", 8083], ["prometheus", 9090], [
      "grafana",
      3000,
    ]] as const
  ) {
    assert.ok(services[service].ports?.includes(`${port}:${port}`), `${service} publishes ${port}`);
  }
});

Deno.test("compose: Prometheus and Grafana mount the shipped configuration", async () => {
  const { services } = await compose();
  assert.ok(
    services.prometheus.volumes?.includes(
      "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
    ),
  );
  assert.ok(services.grafana.volumes?.some((v) => v.startsWith("./deploy/grafana/provisioning:")));
  assert.ok(services.grafana.volumes?.some((v) => v.startsWith("./deploy/grafana/dashboards:")));
  const datasources = parse(await read("deploy/grafana/provisioning/datasources/prometheus.yml"));
  const ds = datasources.datasources[0];
  assert.equal(ds.type, "prometheus");
  assert.equal(ds.url, "http://prometheus:9090");
  const providers = parse(await read("deploy/grafana/provisioning/dashboards/order_pipeline.yml"));
  assert.equal(providers.providers[0].options.path, "/var/lib/grafana/dashboards");
});

Deno.test("grafana: the dashboard shows every figure the issue names, from series that exist", async () => {
  const dashboard = JSON.parse(await read("deploy/grafana/dashboards/order_pipeline.json"));
  const datasources = parse(await read("deploy/grafana/provisioning/datasources/prometheus.yml"));
  const uid = datasources.datasources[0].uid;
  const exprs: string[] = [];
  const ids = new Set<number>();
  for (const panel of dashboard.panels) {
    assert.ok(!ids.has(panel.id), `panel id ${panel.id} is unique`);
    ids.add(panel.id);
    assert.equal(panel.datasource.uid, uid, `${panel.title}: the provisioned data source`);
    for (const t of panel.targets) exprs.push(t.expr);
  }
  const all = exprs.join("\n");
  for (
    const needed of [
      /rate\(router_consumed_total/, // throughput
      /consumer_group_lag/, // lag
      /retry_handoffs_total/, // retries
      /dead_lettered_total/, // DLQ
      /result="abort"/, // transaction aborts
      /rebalances_total/, // rebalances
      /histogram_quantile\(0\.99, .*_seconds_bucket/, // latency histograms
    ]
  ) assert.match(all, needed);

  // Every metric named in a query is registered by some script (a typo would show nothing).
  const sources = await registeredMetricNames();
  const FUNCTIONS = new Set(["sum", "by", "rate", "increase", "histogram_quantile", "le", "job"]);
  const names = new Set(
    [...all.matchAll(/\b([a-z_]+)(?=[{[(]|\s*\)|$)/gm)].map((m) => m[1])
      .filter((n) => n.includes("_") && !FUNCTIONS.has(n)),
  );
  for (const name of names) {
    const base = name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(sources.has(base) || sources.has(name), `no script registers ${name}`);
  }
  assert.ok(names.size >= 15, `${names.size} metric names checked`);
});

/** Names passed to `.counter(`, `.gauge(` and `.histogram(` anywhere in the code. */
async function registeredMetricNames(): Promise<Set<string>> {
  const names = new Set<string>(["up"]);
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && !["node_modules", ".cache", "build", ".git"].includes(e.name)) {
        await walk(new URL(`${e.name}/`, dir));
      } else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(new URL(e.name, dir));
        for (const m of text.matchAll(/\.(?:counter|gauge|histogram)\(\s*"([a-z_]+)"/g)) {
          names.add(m[1]);
        }
        for (const m of text.matchAll(/_METRIC = "([a-z_]+)"/g)) names.add(m[1]);
      }
    }
  };
  for (const dir of ["shared/", "scripts/", "producers/", "consumers/"]) {
    await walk(new URL(dir, ROOT));
  }
  return names;
}
