/**
 * Throughput over time, from the running totals the aggregator publishes:
 * the dashboard samples the totals about once a second and turns the
 * differences into rates per second. Each point's rate is taken over a
 * short trailing window (`smoothMs`), because the aggregator commits (and
 * so moves its totals) once a second and a rate between two samples alone
 * jumps between 0 and twice the truth. Pure.
 *
 * @example
 * ```ts
 * import { ThroughputHistory } from "./throughput.ts";
 * const history = new ThroughputHistory();
 * history.add({ at: 0, orders: 0, processed: 0, deadLettered: 0, retried: 0 });
 * history.add({ at: 2000, orders: 40, processed: 30, deadLettered: 2, retried: 0 });
 * history.rate("orders"); // 20
 * history.points().at(-1)?.processed; // 15
 * ```
 * @module
 */

/** The totals a rate is computed of. */
export const RATE_FIELDS = ["orders", "processed", "deadLettered", "retried"] as const;
export type RateField = typeof RATE_FIELDS[number];

/** Running totals at one moment (epoch ms). */
export type TotalsSample = { at: number } & Record<RateField, number>;

/** Rates per second at one moment. */
export type RatePoint = { at: number } & Record<RateField, number>;

export interface ThroughputOptions {
  /** How much history is kept (and charted), ms; 5 minutes by default. */
  keepMs?: number;
  /** The trailing window of each point's rate, ms; 5 s by default. */
  smoothMs?: number;
}

/** Rates rounded to one decimal: the page shows them as they are. */
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export class ThroughputHistory {
  readonly keepMs: number;
  readonly smoothMs: number;
  #samples: TotalsSample[] = [];

  constructor(options: ThroughputOptions = {}) {
    this.keepMs = options.keepMs ?? 5 * 60_000;
    this.smoothMs = options.smoothMs ?? 5000;
  }

  /**
   * Adds a sample. One not later than the last is ignored; one whose totals
   * went down (the aggregator restarted on another state) starts the
   * history afresh, so no negative rate is ever drawn.
   */
  add(sample: TotalsSample): void {
    const last = this.#samples.at(-1);
    if (last && sample.at <= last.at) return;
    if (last && RATE_FIELDS.some((f) => sample[f] < last[f])) this.#samples = [];
    this.#samples.push({ ...sample });
    const from = sample.at - this.keepMs - this.smoothMs;
    while (this.#samples.length > 2 && this.#samples[0].at < from) this.#samples.shift();
  }

  /** The rate of `field` per second over the last `windowMs` (10 s by default); 0 without data. */
  rate(field: RateField, windowMs = 10_000): number {
    const last = this.#samples.at(-1);
    if (!last) return 0;
    const first = this.#samples.find((s) => s.at >= last.at - windowMs) ?? last;
    return first === last
      ? 0
      : round1(((last[field] - first[field]) * 1000) / (last.at - first.at));
  }

  /** One point per sample after the first, within `keepMs` of the newest, oldest first. */
  points(): RatePoint[] {
    const s = this.#samples;
    const newest = s.at(-1)?.at ?? 0;
    const out: RatePoint[] = [];
    let j = 0;
    for (let i = 1; i < s.length; i++) {
      if (s[i].at < newest - this.keepMs) continue;
      while (j < i - 1 && s[j + 1].at <= s[i].at - this.smoothMs) j++;
      const dt = (s[i].at - s[j].at) / 1000;
      const point = { at: s[i].at } as RatePoint;
      for (const f of RATE_FIELDS) point[f] = round1((s[i][f] - s[j][f]) / dt);
      out.push(point);
    }
    return out;
  }
}
