/**
 * Prometheus metrics without a dependency: counters, gauges and histograms
 * with labels, rendered in the Prometheus text exposition format, and a
 * tiny `/metrics` server every long-running script starts.
 *
 * @example
 * ```ts
 * import { MetricsRegistry } from "./metrics.ts";
 * const metrics = new MetricsRegistry({ script: "inventory_orders_producer" });
 * const routed = metrics.counter("orders_routed_total", "orders routed", ["topic"]);
 * routed.inc({ topic: "inventory_orders" }, 3);
 * const latency = metrics.histogram("transaction_seconds", "commit latency", [], [0.01, 0.1, 1]);
 * latency.observe({}, 0.042);
 * console.log(metrics.render());
 * ```
 * @module
 */

export type Labels = Record<string, string | number>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return "{" + entries.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(",") + "}";
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

abstract class Metric {
  protected readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    protected readonly constLabels: Labels,
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
  }
  abstract readonly type: "counter" | "gauge" | "histogram";

  protected key(labels: Labels): string {
    for (const name of this.labelNames) {
      if (!(name in labels)) throw new Error(`${this.name}: label "${name}" missing`);
    }
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name)) throw new Error(`${this.name}: unknown label "${name}"`);
    }
    return this.labelNames.map((n) => String(labels[n])).join("\u0000");
  }

  protected entry(labels: Labels) {
    const key = this.key(labels);
    let e = this.series.get(key);
    if (!e) {
      e = { labels: { ...this.constLabels, ...labels }, value: 0 };
      this.series.set(key, e);
    }
    return e;
  }

  /** The current value of one series (0 when never touched). */
  get(labels: Labels = {}): number {
    return this.series.get(this.key(labels))?.value ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.values()) {
      lines.push(`${this.name}${labelText(labels)} ${formatValue(value)}`);
    }
    return lines;
  }
}

/** A value that only goes up; by convention named `*_total`. */
export class Counter extends Metric {
  readonly type = "counter";
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`${this.name}: a counter cannot go down`);
    this.entry(labels).value += by;
  }
}

/** A value that goes up and down (lag, queue size, up/down). */
export class Gauge extends Metric {
  readonly type = "gauge";
  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels).value += by;
  }
  dec(labels: Labels = {}, by = 1): void {
    this.entry(labels).value -= by;
  }
}

/** Seconds buckets from 1 ms to 10 s, for latencies. */
export const LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
] as const;

/** Observations counted into cumulative buckets, with a sum and a count. */
export class Histogram extends Metric {
  readonly type = "histogram";
  private readonly buckets: readonly number[];
  private readonly observations = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    constLabels: Labels,
    buckets: readonly number[] = LATENCY_BUCKETS,
  ) {
    super(name, help, labelNames, constLabels);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = this.key(labels);
    let o = this.observations.get(key);
    if (!o) {
      o = {
        labels: { ...this.constLabels, ...labels },
        counts: this.buckets.map(() => 0),
        sum: 0,
        count: 0,
      };
      this.observations.set(key, o);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) o.counts[i]++;
    o.sum += value;
    o.count++;
  }

  /** Count and sum of one series. */
  stats(labels: Labels = {}): { count: number; sum: number } {
    const o = this.observations.get(this.key(labels));
    return { count: o?.count ?? 0, sum: o?.sum ?? 0 };
  }

  override render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const o of this.observations.values()) {
      this.buckets.forEach((le, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...o.labels, le })} ${o.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...o.labels, le: "+Inf" })} ${o.count}`);
      lines.push(`${this.name}_sum${labelText(o.labels)} ${formatValue(o.sum)}`);
      lines.push(`${this.name}_count${labelText(o.labels)} ${o.count}`);
    }
    return lines;
  }
}

/** One script's metrics; `constLabels` (e.g. the script name) go on every series. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();
  constructor(private readonly constLabels: Labels = {}) {}

  private add<M extends Metric>(metric: M): M {
    const existing = this.metrics.get(metric.name);
    if (existing) {
      if (existing.type !== metric.type) {
        throw new Error(`metric ${metric.name} exists as a ${existing.type}`);
      }
      return existing as M;
    }
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames, this.constLabels));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames, this.constLabels));
  }
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets?: readonly number[],
  ): Histogram {
    return this.add(new Histogram(name, help, labelNames, this.constLabels, buckets));
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    return [...this.metrics.values()].flatMap((m) => m.render()).join("\n") + "\n";
  }
}

/**
 * The process's memory as gauges (`process_resident_memory_bytes`, the
 * standard name, and V8's heap and the memory outside it: Buffers, mostly);
 * returns the function that samples them, called on every scrape.
 */
export function memoryGauges(registry: MetricsRegistry): () => void {
  const rss = registry.gauge("process_resident_memory_bytes", "resident memory size in bytes");
  const heap = registry.gauge("deno_heap_bytes", "V8 heap in bytes", ["kind"]);
  const external = registry.gauge(
    "deno_external_memory_bytes",
    "memory V8 tracks outside its heap (ArrayBuffers behind Buffers), in bytes",
  );
  return () => {
    const m = Deno.memoryUsage();
    rss.set({}, m.rss);
    heap.set({ kind: "used" }, m.heapUsed);
    heap.set({ kind: "total" }, m.heapTotal);
    external.set({}, m.external);
  };
}

/** The content type Prometheus expects for the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Serves `GET /metrics` (and `GET /healthz`) for a registry. Port 0 picks a
 * free port; the returned `port` says which.
 */
export function serveMetrics(
  registry: MetricsRegistry,
  options: { hostname?: string; port: number; healthy?: () => boolean },
): { port: number; url: string; close(): Promise<void> } {
  const sampleMemory = memoryGauges(registry);
  const server = Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port, onListen: () => {} },
    (req) => {
      const { pathname } = new URL(req.url);
      if (req.method === "GET" && pathname === "/metrics") {
        sampleMemory();
        return new Response(registry.render(), {
          headers: { "content-type": METRICS_CONTENT_TYPE },
        });
      }
      if (req.method === "GET" && pathname === "/healthz") {
        const ok = options.healthy?.() ?? true;
        return Response.json({ ok }, { status: ok ? 200 : 503 });
      }
      return new Response("not found\n", { status: 404 });
    },
  );
  const addr = server.addr as Deno.NetAddr;
  return {
    port: addr.port,
    url: `http://${addr.hostname}:${addr.port}/metrics`,
    close: () => server.shutdown(),
  };
}

/**
 * The flags every long-running script has for being watched: where
 * `/metrics` listens and how often a progress line is logged. Spread them
 * into a script's flags: `...observabilityFlags(9101)`.
 */
export function observabilityFlags(defaultMetricsPort: number) {
  return {
    metricsPort: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      env: "METRICS_PORT",
      default: defaultMetricsPort,
      description: "port of /metrics (0 = any free port)",
    },
    metricsHost: {
      type: "string",
      env: "METRICS_HOST",
      default: "127.0.0.1",
      description: "address of /metrics",
    },
    progressInterval: {
      type: "number",
      min: 0,
      env: "PROGRESS_INTERVAL",
      default: 10,
      description: "seconds between progress lines (0 = none)",
    },
  } as const;
}
