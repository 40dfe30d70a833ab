/**
 * The exactly-once audit, pure: what a run sent (./tagged_orders.ts) and
 * what was read back from every output (the target topics, the DLQ, the
 * status stream, the store) in, counts per kind and every lost, duplicated
 * or wrong order out. Records of other traffic (order ids without the run's
 * prefix) are ignored, except that the stock of the run's own SKUs must be
 * explained by the store's ledger whoever moved it.
 *
 * @example
 * ```ts
 * import { audit, EMPTY_OBSERVED } from "./audit.ts";
 * import { taggedOrders } from "./tagged_orders.ts";
 * const run = taggedOrders("abc", 2);
 * const report = audit(run, EMPTY_OBSERVED);
 * report.complete; // false: nothing arrived yet
 * report.totals.lost; // 6: every order but the 2 of other types
 * ```
 * @module
 */
import {
  type ExpectedLine,
  type Kind,
  KINDS,
  type TaggedOrder,
  type TaggedRun,
} from "./tagged_orders.ts";

/** Where a record was read: `topic/partition@offset`, for findings. */
type At = { at?: string };

/** A decoded `inventory_orders` record. */
export interface ObservedInventoryRecord extends At {
  orderId: string;
  lineIndex: number;
  sku: string;
  quantity: number;
  movement: string;
  key: string | null;
}

/** A decoded `delivery_orders` record. */
export interface ObservedDeliveryRecord extends At {
  orderId: string;
  customerId: string;
  carrier: string;
  itemCount: number;
  key: string | null;
}

/** A DLQ record: the order id is its key (the original record's key). */
export interface ObservedDeadLetter extends At {
  orderId: string;
  reason: string | undefined;
}

/** An `order_status` event. */
export interface ObservedStatusEvent extends At {
  eventId: string;
  orderId: string;
  source: string;
  status: string;
  /** Inventory events: the line they are about (`detail.lineIndex`). */
  lineIndex?: number;
}

/** The store's rows for the run's orders and SKUs. */
export interface ObservedStore {
  inventoryLines: {
    orderId: string;
    lineIndex: number;
    sku: string;
    movement: string;
    quantity: number;
    outcome: string;
  }[];
  deliveries: { orderId: string; status: string }[];
  deliveryEvents: { eventId: string; orderId: string; toStatus: string; outcome: string }[];
  stock: { sku: string; onHand: number }[];
}

/** Everything read back. */
export interface Observed {
  inventory: ObservedInventoryRecord[];
  delivery: ObservedDeliveryRecord[];
  deadLetters: ObservedDeadLetter[];
  statusEvents: ObservedStatusEvent[];
  store: ObservedStore;
}

export const EMPTY_OBSERVED: Observed = {
  inventory: [],
  delivery: [],
  deadLetters: [],
  statusEvents: [],
  store: { inventoryLines: [], deliveries: [], deliveryEvents: [], stock: [] },
};

export type Problem = "lost" | "duplicated" | "wrong";

/** One thing wrong with one order. */
export interface Finding {
  orderId: string;
  kind: Kind;
  problem: Problem;
  /** The output it is about: a topic role (`inventory_orders`, ...) or `store`. */
  where: string;
  detail: string;
}

/** One summary row. Counts are of orders. */
export interface KindSummary {
  kind: Kind | "total";
  sent: number;
  /** On a target topic (every line, for inventory orders). */
  routed: number;
  /** In the store with the expected outcome, and its status events published. */
  applied: number;
  /** In the DLQ. */
  deadLettered: number;
  lost: number;
  duplicated: number;
  /** Somewhere it must not be, or not as it was sent (a wrong DLQ reason, outcome, field). */
  wrong: number;
}

/** The stock of one of the run's SKUs, three ways. */
export interface StockCheck {
  sku: string;
  /** What the store says. */
  onHand: number;
  /** Its start (0: the SKU is the run's own) plus the applied movements in the store's ledger. */
  ledger: number;
  /** Its start plus what the run sent that must be applied. */
  expected: number;
}

export interface AuditReport {
  kinds: KindSummary[];
  totals: KindSummary;
  findings: Finding[];
  stock: StockCheck[];
  /** Nothing is lost: every expected record, row and event is there. */
  complete: boolean;
  /** Complete, with no duplicate, nothing wrong, and every SKU's stock consistent. */
  ok: boolean;
}

/** The names the findings use for each output. */
export const OUTPUTS = {
  inventory: "inventory_orders",
  delivery: "delivery_orders",
  dlq: "dlq",
  status: "order_status",
  store: "store",
} as const;

function groupBy<T>(items: readonly T[], key: (t: T) => string, prefix: string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!k.startsWith(prefix)) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

const signed = (movement: string, quantity: number) =>
  movement === "RESERVE" ? -quantity : quantity;

const where = (r: At) => (r.at ? ` (${r.at})` : "");

/** Audits `observed` against `run`. */
export function audit(run: TaggedRun, observed: Observed): AuditReport {
  const p = run.prefix;
  const by = {
    inventory: groupBy(observed.inventory, (r) => r.orderId, p),
    delivery: groupBy(observed.delivery, (r) => r.orderId, p),
    dlq: groupBy(observed.deadLetters, (r) => r.orderId, p),
    status: groupBy(observed.statusEvents, (e) => e.orderId, p),
    lines: groupBy(observed.store.inventoryLines, (r) => r.orderId, p),
    deliveries: groupBy(observed.store.deliveries, (r) => r.orderId, p),
    deliveryEvents: groupBy(observed.store.deliveryEvents, (r) => r.orderId, p),
  };
  const findings: Finding[] = [];
  const rows = new Map<Kind, KindSummary>(KINDS.map((kind) => [kind, emptySummary(kind)]));

  for (const order of run.orders) {
    const found: Finding[] = [];
    const add = (problem: Problem, output: string, detail: string) =>
      found.push({ orderId: order.orderId, kind: order.kind, problem, where: output, detail });
    /** `n` copies where exactly one must be: lost, duplicated, or fine. */
    const once = (n: number, output: string, what: string, at: string[] = []) => {
      if (n === 0) add("lost", output, `${what}: missing`);
      if (n > 1) {
        add("duplicated", output, `${what}: ${n} times${at.length ? ` (${at.join(", ")})` : ""}`);
      }
      return n > 0;
    };
    const get = <T>(m: Map<string, T[]>) => m.get(order.orderId) ?? [];
    const seen = {
      inventory: get(by.inventory),
      delivery: get(by.delivery),
      dlq: get(by.dlq),
      status: get(by.status),
      lines: get(by.lines),
      deliveries: get(by.deliveries),
      deliveryEvents: get(by.deliveryEvents),
    };
    let routed = false, applied = false;

    // The status stream: no event id twice, whatever the event.
    const ids = new Map<string, ObservedStatusEvent[]>();
    for (const e of seen.status) ids.set(e.eventId, [...(ids.get(e.eventId) ?? []), e]);
    for (const [id, events] of ids) {
      if (events.length > 1) {
        add(
          "duplicated",
          OUTPUTS.status,
          `event ${id}: ${events.length} times (${events.map((e) => e.at).join(", ")})`,
        );
      }
    }

    if (order.kind === "inventory") {
      const lines = order.lines!;
      routed = applied = true;
      for (const line of lines) {
        const name = `line ${line.lineIndex}`;
        const recs = seen.inventory.filter((r) => r.lineIndex === line.lineIndex);
        routed = once(recs.length, OUTPUTS.inventory, name, recs.map((r) => r.at ?? "")) && routed;
        for (const r of recs) checkInventoryRecord(line, r, add);
        const stored = seen.lines.filter((r) => r.lineIndex === line.lineIndex);
        let ok = once(stored.length, OUTPUTS.store, `${name} in inventory_lines`);
        for (const r of stored) {
          const differs = r.sku !== line.sku || r.quantity !== line.quantity ||
            r.movement !== line.movement;
          if (differs) {
            add(
              "wrong",
              OUTPUTS.store,
              `${name}: stored as ${r.movement} ${r.quantity} × ${r.sku}, sent ${line.movement} ${line.quantity} × ${line.sku}`,
            );
          }
          if (r.outcome !== line.outcome) {
            add("wrong", OUTPUTS.store, `${name}: ${r.outcome}, must be ${line.outcome}`);
            ok = false;
          }
        }
        const events = distinctIds(
          seen.status.filter((e) => e.source === "inventory" && e.lineIndex === line.lineIndex),
        );
        ok = once(
          events.length,
          OUTPUTS.status,
          `${name}'s status event`,
          events.map((e) => e.eventId),
        ) && ok;
        for (const e of events) {
          if (e.status !== line.status) {
            add("wrong", OUTPUTS.status, `${name}: status ${e.status}, must be ${line.status}`);
            ok = false;
          }
        }
        applied = ok && applied;
      }
      for (const r of seen.inventory) {
        if (!lines.some((l) => l.lineIndex === r.lineIndex)) {
          add("wrong", OUTPUTS.inventory, `line ${r.lineIndex} was never sent${where(r)}`);
        }
      }
      nowhere(seen, ["delivery", "dlq", "deliveries", "deliveryEvents"], add);
    } else if (order.kind === "delivery") {
      const expected = order.delivery!;
      routed = once(
        seen.delivery.length,
        OUTPUTS.delivery,
        "the delivery order",
        seen.delivery.map((r) => r.at ?? ""),
      );
      for (const r of seen.delivery) {
        const got = { customerId: r.customerId, carrier: r.carrier, itemCount: r.itemCount };
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          add(
            "wrong",
            OUTPUTS.delivery,
            `routed as ${JSON.stringify(got)}, sent ${JSON.stringify(expected)}${where(r)}`,
          );
        }
        if (r.key !== order.orderId) {
          add("wrong", OUTPUTS.delivery, `keyed ${r.key}, not by its order id${where(r)}`);
        }
      }
      const scheduled = seen.deliveryEvents.filter((r) => r.toStatus === "scheduled");
      applied = once(seen.deliveries.length, OUTPUTS.store, "the row in deliveries");
      applied = once(scheduled.length, OUTPUTS.store, "its scheduled row in delivery_events") &&
        applied;
      for (const r of scheduled) {
        if (r.outcome !== "applied") {
          add("wrong", OUTPUTS.store, `scheduling ${r.outcome}, must be applied`);
          applied = false;
        }
      }
      const events = distinctIds(
        seen.status.filter((e) => e.source === "delivery" && e.status === "scheduled"),
      );
      applied = once(
        events.length,
        OUTPUTS.status,
        "its scheduled status event",
        events.map((e) => e.eventId),
      ) && applied;
      // Later statuses (a carrier moving it along) each once too; `rejected` may repeat by design.
      const byStatus = new Map<string, Set<string>>();
      for (const e of seen.status) {
        if (e.source !== "delivery" || e.status === "rejected" || e.status === "scheduled") {
          continue;
        }
        byStatus.set(e.status, (byStatus.get(e.status) ?? new Set()).add(e.eventId));
      }
      for (const [status, set] of byStatus) {
        if (set.size > 1) {
          add(
            "duplicated",
            OUTPUTS.status,
            `status ${status}: ${set.size} events (${[...set].join(", ")})`,
          );
        }
      }
      nowhere(seen, ["inventory", "dlq", "lines"], add);
    } else if (order.kind === "invalid") {
      const dead = seen.dlq;
      once(dead.length, OUTPUTS.dlq, "the dead letter", dead.map((r) => r.at ?? ""));
      for (const r of dead) {
        if (!r.reason?.includes(order.dlqReason!)) {
          add(
            "wrong",
            OUTPUTS.dlq,
            `reason ${JSON.stringify(r.reason ?? null)} does not say ${
              JSON.stringify(order.dlqReason)
            }${where(r)}`,
          );
        }
      }
      nowhere(
        seen,
        ["inventory", "delivery", "status", "lines", "deliveries", "deliveryEvents"],
        add,
      );
    } else {
      nowhere(seen, [
        "inventory",
        "delivery",
        "dlq",
        "status",
        "lines",
        "deliveries",
        "deliveryEvents",
      ], add);
    }

    const row = rows.get(order.kind)!;
    row.sent++;
    const target = order.kind === "inventory" || order.kind === "delivery";
    if (target ? routed : seen.inventory.length + seen.delivery.length > 0) row.routed++;
    if (applied) row.applied++;
    if (seen.dlq.length > 0) row.deadLettered++;
    for (const problem of ["lost", "duplicated", "wrong"] as const) {
      if (found.some((f) => f.problem === problem)) row[problem]++;
    }
    findings.push(...found);
  }

  const stock = stockChecks(run, observed.store);
  const kinds = KINDS.map((k) => rows.get(k)!);
  const totals = kinds.reduce((t, r) => {
    for (
      const k of [
        "sent",
        "routed",
        "applied",
        "deadLettered",
        "lost",
        "duplicated",
        "wrong",
      ] as const
    ) t[k] += r[k];
    return t;
  }, emptySummary("total"));
  const complete = !findings.some((f) => f.problem === "lost");
  const stockOk = stock.every((s) => s.onHand === s.ledger && s.onHand === s.expected);
  return {
    kinds,
    totals,
    findings,
    stock,
    complete,
    ok: complete && totals.duplicated === 0 && totals.wrong === 0 && stockOk,
  };
}

function emptySummary(kind: Kind | "total"): KindSummary {
  return {
    kind,
    sent: 0,
    routed: 0,
    applied: 0,
    deadLettered: 0,
    lost: 0,
    duplicated: 0,
    wrong: 0,
  };
}

/** One event per id: a repeated id is reported once, as a duplicate of the stream. */
function distinctIds(events: ObservedStatusEvent[]): ObservedStatusEvent[] {
  const out = new Map<string, ObservedStatusEvent>();
  for (const e of events) if (!out.has(e.eventId)) out.set(e.eventId, e);
  return [...out.values()];
}

function checkInventoryRecord(
  line: ExpectedLine,
  r: ObservedInventoryRecord,
  add: (problem: Problem, output: string, detail: string) => void,
): void {
  const name = `line ${line.lineIndex}`;
  if (r.sku !== line.sku || r.quantity !== line.quantity || r.movement !== line.movement) {
    add(
      "wrong",
      OUTPUTS.inventory,
      `${name}: routed as ${r.movement} ${r.quantity} × ${r.sku}, sent ${line.movement} ${line.quantity} × ${line.sku}${
        where(r)
      }`,
    );
  }
  if (r.key !== line.sku) {
    add("wrong", OUTPUTS.inventory, `${name}: keyed ${r.key}, not by its SKU${where(r)}`);
  }
}

type Seen = Record<
  "inventory" | "delivery" | "dlq" | "status" | "lines" | "deliveries" | "deliveryEvents",
  (At | object)[]
>;

const PLACES: Record<keyof Seen, string> = {
  inventory: OUTPUTS.inventory,
  delivery: OUTPUTS.delivery,
  dlq: OUTPUTS.dlq,
  status: OUTPUTS.status,
  lines: `${OUTPUTS.store} (inventory_lines)`,
  deliveries: `${OUTPUTS.store} (deliveries)`,
  deliveryEvents: `${OUTPUTS.store} (delivery_events)`,
};

/** The order must be in none of `places`. */
function nowhere(
  seen: Seen,
  places: (keyof Seen)[],
  add: (problem: Problem, output: string, detail: string) => void,
): void {
  for (const place of places) {
    const n = seen[place].length;
    if (n > 0) {
      const at = seen[place].map((r) => (r as At).at).filter(Boolean);
      add(
        "wrong",
        PLACES[place],
        `must not be here, found ${n}${at.length ? ` (${at.join(", ")})` : ""}`,
      );
    }
  }
}

/**
 * Each run SKU's stock: the store's figure, its ledger (every applied line
 * on that SKU, whichever order), and what the run sent. Every run SKU
 * starts with no stock (its name is the run's own), so the start is 0.
 */
function stockChecks(run: TaggedRun, store: ObservedStore): StockCheck[] {
  return run.skus.map((sku) => {
    const expected = run.orders
      .flatMap((o) => o.lines ?? [])
      .filter((l) => l.sku === sku && l.outcome === "applied")
      .reduce((n, l) => n + signed(l.movement, l.quantity), 0);
    const ledger = store.inventoryLines
      .filter((l) => l.sku === sku && l.outcome === "applied")
      .reduce((n, l) => n + signed(l.movement, l.quantity), 0);
    const onHand = store.stock.find((s) => s.sku === sku)?.onHand ?? 0;
    return { sku, onHand, ledger, expected };
  });
}

/** The kinds' rows and the totals as `key=value` lines, easy to read and to parse. */
export function summaryLines(report: AuditReport): string[] {
  return [...report.kinds, report.totals].map((r) =>
    `${r.kind.padEnd(9)} sent=${r.sent} routed=${r.routed} applied=${r.applied} ` +
    `dead-lettered=${r.deadLettered} lost=${r.lost} duplicated=${r.duplicated} wrong=${r.wrong}`
  );
}

/**
 * The whole report for a terminal: the summary, the stock line, the
 * findings (at most `cap`, the ids of lost and duplicated orders first),
 * and a verdict.
 */
export function formatReport(report: AuditReport, cap = 20): string[] {
  const out = summaryLines(report);
  const badStock = report.stock.filter((s) => s.onHand !== s.ledger || s.onHand !== s.expected);
  out.push(
    badStock.length === 0
      ? `stock     ${report.stock.length} SKUs, each at its start (0) plus its applied movements in the store's ledger, as sent`
      : `stock     ${badStock.length} of ${report.stock.length} SKUs inconsistent`,
  );
  for (const s of badStock) {
    out.push(`  stock ${s.sku}: on hand ${s.onHand}, ledger says ${s.ledger}, sent ${s.expected}`);
  }
  const order: Problem[] = ["lost", "duplicated", "wrong"];
  const sorted = [...report.findings].sort((a, b) =>
    order.indexOf(a.problem) - order.indexOf(b.problem)
  );
  for (const f of sorted.slice(0, cap)) {
    out.push(`  ${f.problem} ${f.orderId} [${f.where}] ${f.detail}`);
  }
  if (sorted.length > cap) out.push(`  … and ${sorted.length - cap} more findings`);
  for (const problem of ["lost", "duplicated"] as const) {
    const ids = [
      ...new Set(report.findings.filter((f) => f.problem === problem).map((f) => f.orderId)),
    ];
    if (ids.length > 0) {
      out.push(
        `${problem} orders (${ids.length}): ${ids.slice(0, cap).join(", ")}${
          ids.length > cap ? ", …" : ""
        }`,
      );
    }
  }
  out.push(
    report.ok
      ? "OK: every order exactly once where it belongs, nowhere else"
      : `FAILED: ${report.totals.lost} lost, ${report.totals.duplicated} duplicated, ${report.totals.wrong} wrong, ${badStock.length} SKUs inconsistent`,
  );
  return out;
}

/** The orders of `run` of one kind, for tests and tools. */
export function ordersOf(run: TaggedRun, kind: Kind): TaggedOrder[] {
  return run.orders.filter((o) => o.kind === kind);
}
