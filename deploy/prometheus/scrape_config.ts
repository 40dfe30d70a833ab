/**
 * The one source of Prometheus's scrape configuration: which script serves
 * `/metrics` on which port, and the `prometheus.yml` text made from it.
 * `deploy/prometheus/prometheus.yml` is this module's output for compose
 * (each target is the script's compose service), and
 * tests/prometheus_scrape_test.ts renders the same jobs with the ports of
 * the processes it starts, so the test proves the shipped job and metric
 * names, not a copy of them. tests/compose_test.ts fails when the file and
 * this table disagree.
 *
 * The jobs are the service table's scraped scripts (scripts/services.ts);
 * `deno task services` writes the file after the table changed.
 *
 * @example
 * ```ts
 * import { prometheusConfig, SCRAPE_JOBS } from "./scrape_config.ts";
 * const inventory = SCRAPE_JOBS.filter((j) => j.job === "inventory_orders_producer");
 * prometheusConfig({ jobs: inventory, scrapeIntervalSeconds: 1, target: () => "127.0.0.1:9101" });
 * ```
 * @module
 */
import { defaultPort, SCRIPTS } from "../../scripts/services.ts";

/** One scraped script. */
export interface ScrapeJob {
  /** The `job` label: the script's name in scripts/services.ts. */
  job: string;
  /** Its service (host name) in compose.yaml. */
  service: string;
  /** The port of its `/metrics` (the script's default). */
  port: number;
  /** The flag that sets that port: most scripts have a metrics port of their own. */
  portFlag: "--metrics-port" | "--port";
}

/**
 * Every script that serves `/metrics`, in the service table's order: those
 * with a `scrape` port (scripts/services.ts). The gateway and the status
 * service answer `/metrics` on their HTTP port. (The order generator is
 * left out: a load source, and its `/metrics` only listens on 127.0.0.1.)
 */
export const SCRAPE_JOBS: readonly ScrapeJob[] = SCRIPTS.flatMap((s) =>
  s.scrape
    ? [{
      job: s.name,
      service: s.name.replaceAll("_", "-"),
      port: defaultPort(s, s.scrape),
      portFlag: s.scrape === "port" ? "--port" as const : "--metrics-port" as const,
    }]
    : []
);

export interface PrometheusConfigOptions {
  /** The jobs to scrape; all of {@linkcode SCRAPE_JOBS} by default. */
  jobs?: readonly ScrapeJob[];
  /** How often; 5 s by default (the scripts' figures move every second). */
  scrapeIntervalSeconds?: number;
  /** `host:port` of a job; its compose service and default port by default. */
  target?: (job: ScrapeJob) => string;
}

/** The `prometheus.yml` text for `options`. Pure. */
export function prometheusConfig(options: PrometheusConfigOptions = {}): string {
  const jobs = options.jobs ?? SCRAPE_JOBS;
  const interval = `${options.scrapeIntervalSeconds ?? 5}s`;
  const target = options.target ?? ((j: ScrapeJob) => `${j.service}:${j.port}`);
  return [
    "# Generated from scripts/services.ts by deploy/prometheus/scrape_config.ts: edit the",
    "# service table, then run `deno task services`.",
    "# Every script's series carry job=<script name> (and script=<script name> from the script).",
    "global:",
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    "",
    "scrape_configs:",
    ...jobs.flatMap((j) => [
      `  - job_name: ${j.job}`,
      "    metrics_path: /metrics",
      "    static_configs:",
      `      - targets: ["${target(j)}"]`,
    ]),
    "",
  ].join("\n");
}
