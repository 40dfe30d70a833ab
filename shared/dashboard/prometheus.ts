/**
 * Reading the pipeline's own `/metrics` pages (Prometheus text format, see
 * shared/platform/metrics.ts): one process's headline figures, whichever kind of
 * script it is: records in, records out, dead letters and retries. Used for
 * the dashboard's process table, next to the aggregator's totals. Pure.
 *
 * @example
 * ```ts
 * import { processFigures, sumSeries } from "./prometheus.ts";
 * const text = 'router_consumed_total 12\nrouter_dead_lettered_total{class="validation"} 2\n';
 * sumSeries(text, "router_consumed_total"); // 12
 * processFigures(text); // { consumed: 12, deadLettered: 2 }
 * ```
 * @module
 */
import { ConfigError } from "../platform/config.ts";

/**
 * The sum of every series of `name` whose labels include `labels`;
 * undefined when the page has no such series.
 */
export function sumSeries(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + " ") && !line.startsWith(name + "{")) continue;
    if (!wanted.every((w) => line.includes(w))) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** A process's headline figures; each only when its page has it. */
export interface ProcessFigures {
  /** Records read: a routing producer's raw records, a consumer's applied records. */
  consumed?: number;
  /** Records written on: routed records, published status events, orders taken in. */
  produced?: number;
  deadLettered?: number;
  /** Hand-offs to a retry topic. */
  retried?: number;
}

/** The first of `names` the page has. */
function firstOf(text: string, names: string[]): number | undefined {
  for (const name of names) {
    const v = sumSeries(text, name);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The headline figures of one `/metrics` page. Pure. */
export function processFigures(text: string): ProcessFigures {
  const figures: ProcessFigures = {
    consumed: firstOf(text, ["router_consumed_total", "consumer_records_total"]),
    produced: firstOf(text, [
      "router_routed_records_total",
      "consumer_status_events_total",
      "intake_orders_total",
    ]),
    deadLettered: firstOf(text, ["router_dead_lettered_total", "consumer_dead_lettered_total"]),
    retried: sumSeries(text, "retry_handoffs_total", { outcome: "retry" }),
  };
  return Object.fromEntries(
    Object.entries(figures).filter(([, v]) => v !== undefined),
  ) as ProcessFigures;
}

/** A process to scrape: its name on the page and its `/metrics` address. */
export interface ScrapeTarget {
  name: string;
  url: string;
}

/** Where the demo's scripts serve `/metrics` (scripts/dev/demo.ts, the catalog's defaults). */
export const DEFAULT_SCRAPE_TARGETS: readonly string[] = [
  "inventory_orders_producer=http://127.0.0.1:9101/metrics",
  "delivery_orders_producer=http://127.0.0.1:9102/metrics",
  "inventory_data_consumer=http://127.0.0.1:9103/metrics",
  "delivery_data_consumer=http://127.0.0.1:9104/metrics",
];

/** Parses `name=url` entries; throws a {@linkcode ConfigError} for `--scrape`. */
export function parseScrapeTargets(entries: readonly string[]): ScrapeTarget[] {
  return entries.map((entry) => {
    const at = entry.indexOf("=");
    const name = entry.slice(0, at).trim();
    const url = entry.slice(at + 1).trim();
    if (at <= 0 || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new ConfigError("scrape", `--scrape: "${entry}" is not name=http://host:port/metrics`);
    }
    return { name, url };
  });
}

/** One row of the process table. */
export interface ProcessRow extends ScrapeTarget, ProcessFigures {
  up: boolean;
  /** Records read per second since the previous scrape; absent on the first. */
  consumedPerSec?: number;
  /** When it was scraped (epoch ms). */
  at: number;
}

/**
 * The row of a scrape: `text` is the page, or undefined when the process
 * did not answer; `previous` is the last row, for the rate. Pure.
 */
export function processRow(
  target: ScrapeTarget,
  text: string | undefined,
  at: number,
  previous?: ProcessRow,
): ProcessRow {
  if (text === undefined) return { ...target, up: false, at };
  const figures = processFigures(text);
  const row: ProcessRow = { ...target, up: true, at, ...figures };
  if (
    previous?.up && previous.consumed !== undefined && figures.consumed !== undefined &&
    at > previous.at && figures.consumed >= previous.consumed
  ) {
    row.consumedPerSec =
      Math.round(((figures.consumed - previous.consumed) * 10_000) / (at - previous.at)) / 10;
  }
  return row;
}
