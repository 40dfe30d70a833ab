/**
 * The exactly-once audit, pure: what a run sent (./tagged_orders.ts) and
 * what was read back from every output (the target topics, the DLQ, the
 * status stream, the store) in, counts per kind and every lost, duplicated
 * or wrong order out. Records of other traffic (order ids without the run's
 * prefix) are ignored, except that the stock of the run's own SKUs must be
 * explained by the store's ledger whoever moved it. One order's checks are
 * in ./audit_order.ts, the report's types in ./audit_model.ts.
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
  type AuditReport,
  type Finding,
  type KindSummary,
  type Observed,
  type ObservedStore,
  type Problem,
  type StockCheck,
} from "./audit_model.ts";
import { auditOrder, type OrderAudit, type SeenOrder } from "./audit_order.ts";
import { type Kind, KINDS, type TaggedOrder, type TaggedRun } from "./tagged_orders.ts";

export * from "./audit_model.ts";

/** Audits `observed` against `run`. */
export function audit(run: TaggedRun, observed: Observed): AuditReport {
  const byOrder = groupObserved(observed, run.prefix);
  const rows = new Map<Kind, KindSummary>(KINDS.map((kind) => [kind, emptySummary(kind)]));
  const findings: Finding[] = [];
  for (const order of run.orders) {
    const seen = seenOf(byOrder, order.orderId);
    const result = auditOrder(order, seen);
    countOrder(rows.get(order.kind)!, order, seen, result);
    findings.push(...result.found);
  }
  const kinds = KINDS.map((k) => rows.get(k)!);
  return verdict(kinds, findings, stockChecks(run, observed.store));
}

/** Each output's records of the run's orders (ids with `prefix`), by order id. */
export type ByOrder = { [P in keyof SeenOrder]: Map<string, SeenOrder[P]> };

/** Groups every output's records of the run's orders by order id. */
export function groupObserved(observed: Observed, prefix: string): ByOrder {
  const byId = (r: { orderId: string }) => r.orderId;
  return {
    inventory: groupBy(observed.inventory, byId, prefix),
    delivery: groupBy(observed.delivery, byId, prefix),
    dlq: groupBy(observed.deadLetters, byId, prefix),
    status: groupBy(observed.statusEvents, byId, prefix),
    lines: groupBy(observed.store.inventoryLines, byId, prefix),
    deliveries: groupBy(observed.store.deliveries, byId, prefix),
    deliveryEvents: groupBy(observed.store.deliveryEvents, byId, prefix),
  };
}

/** What was read back about one order. */
export function seenOf(byOrder: ByOrder, orderId: string): SeenOrder {
  const get = <T>(m: Map<string, T[]>) => m.get(orderId) ?? [];
  return {
    inventory: get(byOrder.inventory),
    delivery: get(byOrder.delivery),
    dlq: get(byOrder.dlq),
    status: get(byOrder.status),
    lines: get(byOrder.lines),
    deliveries: get(byOrder.deliveries),
    deliveryEvents: get(byOrder.deliveryEvents),
  };
}

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

/** Counts one order's audit into its kind's row. */
export function countOrder(
  row: KindSummary,
  order: TaggedOrder,
  seen: SeenOrder,
  result: OrderAudit,
): void {
  row.sent++;
  const target = order.kind === "inventory" || order.kind === "delivery";
  if (target ? result.routed : seen.inventory.length + seen.delivery.length > 0) row.routed++;
  if (result.applied) row.applied++;
  if (seen.dlq.length > 0) row.deadLettered++;
  for (const problem of PROBLEMS) {
    if (result.found.some((f) => f.problem === problem)) row[problem]++;
  }
}

const PROBLEMS: readonly Problem[] = ["lost", "duplicated", "wrong"];

/** The counts of a summary row. */
const COUNTS = [
  "sent",
  "routed",
  "applied",
  "deadLettered",
  "lost",
  "duplicated",
  "wrong",
] as const satisfies readonly (keyof KindSummary)[];

/** The kinds' rows added up. */
export function totalOf(kinds: readonly KindSummary[]): KindSummary {
  const totals = emptySummary("total");
  for (const row of kinds) for (const k of COUNTS) totals[k] += row[k];
  return totals;
}

/** The report: complete when nothing is lost, ok when nothing at all is wrong. */
function verdict(kinds: KindSummary[], findings: Finding[], stock: StockCheck[]): AuditReport {
  const totals = totalOf(kinds);
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

const signed = (movement: string, quantity: number) =>
  movement === "RESERVE" ? -quantity : quantity;

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
