/**
 * The dashboard's own demo load: orders from the seeded generator
 * (shared/orders/generate.ts) at a rate the page asks for, through any
 * order sink (the dashboard passes the idempotent intake of
 * shared/intake/intake.ts, as the gateway and the generator use), started with
 * `POST /api/load {rate}` and stopped with `DELETE /api/load`. Off until the
 * page starts it. One run at a time: starting again changes the rate.
 *
 * @example
 * ```ts
 * import { LoadControl, parseLoadRequest } from "./load_control.ts";
 * const load = new LoadControl({ sink: { send: () => Promise.resolve() }, maxRate: 500 });
 * const req = parseLoadRequest({ rate: 20 }, 500);
 * if (!("error" in req)) load.start(req.rate);
 * load.status().running; // true
 * await load.stop();
 * ```
 * @module
 */
import type { OrderSink } from "../intake/intake.ts";
import { emptyLoadStats, type OrderLoadStats, runOrderLoad } from "../intake/order_load.ts";
import { DEFAULT_CATALOG } from "../orders/catalog.ts";
import { createOrderGenerator, type OrderMix } from "../orders/generate.ts";

/** What the page posts to start (or re-rate) the load. */
export interface LoadRequest {
  rate: number;
}

/** Checks a posted body: a rate of orders per second, above 0 and at most `maxRate`. Pure. */
export function parseLoadRequest(body: unknown, maxRate: number): LoadRequest | { error: string } {
  const rate = (body && typeof body === "object" ? body as Record<string, unknown> : {}).rate;
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0 || rate > maxRate) {
    return { error: `rate: must be a number of orders per second above 0 and at most ${maxRate}` };
  }
  return { rate };
}

/** What the header shows about the load. */
export interface LoadStatus {
  running: boolean;
  /** Orders per second asked for; 0 when none runs. */
  rate: number;
  /** Orders Kafka acknowledged, since the dashboard started. */
  sent: number;
  /** Of them, made invalid on purpose (they end in the DLQ). */
  invalid: number;
  failed: number;
  /** When the current run started (ISO); null when none runs. */
  startedAt: string | null;
  /** Why the last run stopped on its own. */
  error?: string;
}

export interface LoadControlOptions {
  sink: OrderSink;
  /** Highest rate the page may ask for. */
  maxRate: number;
  /** Type mix; the generator's default mix when absent. */
  mix?: OrderMix;
  /** Share of orders made invalid on purpose, so the DLQ has something; 0.05 by default. */
  invalidRate?: number;
  seed?: number;
}

export class LoadControl {
  readonly #options: LoadControlOptions;
  readonly #generator;
  #run?: { controller: AbortController; done: Promise<unknown>; rate: number; startedAt: Date };
  /** Totals over every run. */
  #totals: OrderLoadStats = emptyLoadStats();
  #error?: string;

  constructor(options: LoadControlOptions) {
    this.#options = options;
    this.#generator = createOrderGenerator({
      seed: options.seed ?? Date.now(),
      mix: options.mix ?? { inventory: 45, delivery: 45, return: 10 },
      catalog: DEFAULT_CATALOG,
      invalidRate: options.invalidRate ?? 0.05,
    });
  }

  /** Starts the load at `rate` orders per second, or moves a running one to it. */
  start(rate: number): LoadStatus {
    if (this.#run) {
      if (this.#run.rate === rate) return this.status();
      // The token bucket has its rate fixed at start: stop, then start anew.
      const previous = this.#run;
      previous.controller.abort();
      this.#run = undefined;
      return this.#begin(rate, previous.done);
    }
    return this.#begin(rate, Promise.resolve());
  }

  #begin(rate: number, after: Promise<unknown>): LoadStatus {
    const controller = new AbortController();
    const stats = emptyLoadStats();
    this.#error = undefined;
    const done = after.then(() =>
      runOrderLoad({
        sink: this.#options.sink,
        next: this.#generator.nextSample,
        rate,
        count: 0,
        batchSize: Math.max(1, Math.min(500, Math.ceil(rate / 10))),
        signal: controller.signal,
      }, stats)
    ).then((s) => {
      if (s.error) this.#error = s.error.message;
    }).finally(() => {
      this.#fold(stats);
      if (this.#run?.controller === controller) this.#run = undefined;
    });
    this.#run = { controller, done, rate, startedAt: new Date() };
    this.#live = stats;
    return this.status();
  }

  /** The running run's stats, counted in the totals once it ends. */
  #live?: OrderLoadStats;

  #fold(stats: OrderLoadStats) {
    this.#totals.sent += stats.sent;
    this.#totals.invalid += stats.invalid;
    this.#totals.failed += stats.failed;
    if (this.#live === stats) this.#live = undefined;
  }

  /** Stops the load after the sends in flight; resolves once they settled. */
  async stop(): Promise<LoadStatus> {
    const run = this.#run;
    if (run) {
      run.controller.abort();
      await run.done;
    }
    return this.status();
  }

  status(): LoadStatus {
    const live = this.#live;
    return {
      running: this.#run !== undefined,
      rate: this.#run?.rate ?? 0,
      sent: this.#totals.sent + (live?.sent ?? 0),
      invalid: this.#totals.invalid + (live?.invalid ?? 0),
      failed: this.#totals.failed + (live?.failed ?? 0),
      startedAt: this.#run?.startedAt.toISOString() ?? null,
      ...(this.#error ? { error: this.#error } : {}),
    };
  }
}
