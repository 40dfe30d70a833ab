/**
 * One order of a run against everything read back about it: its findings,
 * and whether it was routed (on its target topic) and applied (in the store
 * with the expected outcome, its status events published). Each kind has its
 * own checks ({@linkcode KIND_CHECKS}); ./audit.ts sums the orders up.
 *
 * @example
 * ```ts
 * import { auditOrder, NOTHING_SEEN } from "./audit_order.ts";
 * import { taggedOrders } from "./tagged_orders.ts";
 * const order = taggedOrders("abc", 2).orders[0];
 * const { found, routed } = auditOrder(order, NOTHING_SEEN);
 * routed; // false: nothing arrived
 * found.every((f) => f.problem === "lost"); // true
 * ```
 * @module
 */
import {
  type At,
  type Finding,
  type ObservedDeadLetter,
  type ObservedDeliveryRecord,
  type ObservedInventoryRecord,
  type ObservedStatusEvent,
  type ObservedStore,
  OUTPUTS,
  type Problem,
} from "./audit_model.ts";
import type { ExpectedLine, Kind, TaggedOrder } from "./tagged_orders.ts";

/** What was read back about one order, per output. */
export interface SeenOrder {
  inventory: ObservedInventoryRecord[];
  delivery: ObservedDeliveryRecord[];
  dlq: ObservedDeadLetter[];
  status: ObservedStatusEvent[];
  lines: ObservedStore["inventoryLines"];
  deliveries: ObservedStore["deliveries"];
  deliveryEvents: ObservedStore["deliveryEvents"];
}

/** Every output of {@linkcode SeenOrder}, in the order findings name them. */
export const SEEN_PLACES = [
  "inventory",
  "delivery",
  "dlq",
  "status",
  "lines",
  "deliveries",
  "deliveryEvents",
] as const satisfies readonly (keyof SeenOrder)[];

/** An order of which nothing was read back. */
export const NOTHING_SEEN: SeenOrder = {
  inventory: [],
  delivery: [],
  dlq: [],
  status: [],
  lines: [],
  deliveries: [],
  deliveryEvents: [],
};

/** Whether an order reached its target topic and was applied. */
export interface OrderOutcome {
  routed: boolean;
  applied: boolean;
}

/** One order's audit. */
export interface OrderAudit extends OrderOutcome {
  found: Finding[];
}

/** Collects one order's findings. */
export interface OrderFindings {
  readonly found: Finding[];
  add(problem: Problem, output: string, detail: string): void;
  /** `n` copies where exactly one must be: lost, duplicated, or fine; true when there is one. */
  once(n: number, output: string, what: string, at?: string[]): boolean;
}

/** A fresh {@linkcode OrderFindings} for `order`. */
export function orderFindings(order: TaggedOrder): OrderFindings {
  const found: Finding[] = [];
  const add = (problem: Problem, output: string, detail: string) => {
    found.push({ orderId: order.orderId, kind: order.kind, problem, where: output, detail });
  };
  return {
    found,
    add,
    once(n, output, what, at = []) {
      if (n === 0) add("lost", output, `${what}: missing`);
      if (n > 1) {
        add("duplicated", output, `${what}: ${n} times${at.length ? ` (${at.join(", ")})` : ""}`);
      }
      return n > 0;
    },
  };
}

/** Audits one order against what was read back about it. */
export function auditOrder(order: TaggedOrder, seen: SeenOrder): OrderAudit {
  const findings = orderFindings(order);
  checkEventIds(seen.status, findings);
  const outcome = KIND_CHECKS[order.kind](order, seen, findings);
  return { found: findings.found, ...outcome };
}

type KindCheck = (order: TaggedOrder, seen: SeenOrder, f: OrderFindings) => OrderOutcome;

/** Each kind's checks: where it must be, as sent, and where it must not. */
export const KIND_CHECKS: Record<Kind, KindCheck> = {
  inventory: checkInventoryOrder,
  delivery: checkDeliveryOrder,
  invalid: checkInvalidOrder,
  other: (_order, seen, f) => {
    nowhere(seen, SEEN_PLACES, f);
    return { routed: false, applied: false };
  },
};

/** The status stream: no event id twice, whatever the event. */
function checkEventIds(status: ObservedStatusEvent[], f: OrderFindings): void {
  const ids = new Map<string, ObservedStatusEvent[]>();
  for (const e of status) ids.set(e.eventId, [...(ids.get(e.eventId) ?? []), e]);
  for (const [id, events] of ids) {
    if (events.length > 1) {
      f.add(
        "duplicated",
        OUTPUTS.status,
        `event ${id}: ${events.length} times (${events.map((e) => e.at).join(", ")})`,
      );
    }
  }
}

function checkInventoryOrder(order: TaggedOrder, seen: SeenOrder, f: OrderFindings) {
  const lines = order.lines!;
  let routed = true, applied = true;
  for (const line of lines) {
    routed = checkLineRouted(line, seen.inventory, f) && routed;
    const stored = checkLineStored(line, seen.lines, f);
    const published = checkLineStatus(line, seen.status, f);
    applied = stored && published && applied;
  }
  for (const r of seen.inventory) {
    if (!lines.some((l) => l.lineIndex === r.lineIndex)) {
      f.add("wrong", OUTPUTS.inventory, `line ${r.lineIndex} was never sent${where(r)}`);
    }
  }
  nowhere(seen, ["delivery", "dlq", "deliveries", "deliveryEvents"], f);
  return { routed, applied };
}

/** The line once on `inventory_orders`, as sent and keyed by its SKU. */
function checkLineRouted(
  line: ExpectedLine,
  inventory: ObservedInventoryRecord[],
  f: OrderFindings,
): boolean {
  const recs = inventory.filter((r) => r.lineIndex === line.lineIndex);
  const routed = f.once(
    recs.length,
    OUTPUTS.inventory,
    `line ${line.lineIndex}`,
    recs.map((r) => r.at ?? ""),
  );
  for (const r of recs) checkInventoryRecord(line, r, f);
  return routed;
}

/** A routed inventory record: as sent, and keyed by its SKU. */
export function checkInventoryRecord(
  line: ExpectedLine,
  r: ObservedInventoryRecord,
  f: Pick<OrderFindings, "add">,
): void {
  const name = `line ${line.lineIndex}`;
  if (!sameMovement(r, line)) {
    f.add(
      "wrong",
      OUTPUTS.inventory,
      `${name}: routed as ${r.movement} ${r.quantity} × ${r.sku}, sent ${line.movement} ${line.quantity} × ${line.sku}${
        where(r)
      }`,
    );
  }
  if (r.key !== line.sku) {
    f.add("wrong", OUTPUTS.inventory, `${name}: keyed ${r.key}, not by its SKU${where(r)}`);
  }
}

/** The line once in `inventory_lines`, as sent, with the expected outcome. */
function checkLineStored(
  line: ExpectedLine,
  rows: SeenOrder["lines"],
  f: OrderFindings,
): boolean {
  const name = `line ${line.lineIndex}`;
  const stored = rows.filter((r) => r.lineIndex === line.lineIndex);
  let ok = f.once(stored.length, OUTPUTS.store, `${name} in inventory_lines`);
  for (const r of stored) {
    if (!sameMovement(r, line)) {
      f.add(
        "wrong",
        OUTPUTS.store,
        `${name}: stored as ${r.movement} ${r.quantity} × ${r.sku}, sent ${line.movement} ${line.quantity} × ${line.sku}`,
      );
    }
    if (r.outcome !== line.outcome) {
      f.add("wrong", OUTPUTS.store, `${name}: ${r.outcome}, must be ${line.outcome}`);
      ok = false;
    }
  }
  return ok;
}

/** The line's inventory status event once, with the expected status. */
function checkLineStatus(
  line: ExpectedLine,
  status: ObservedStatusEvent[],
  f: OrderFindings,
): boolean {
  const name = `line ${line.lineIndex}`;
  const events = distinctIds(
    status.filter((e) => e.source === "inventory" && e.lineIndex === line.lineIndex),
  );
  let ok = f.once(
    events.length,
    OUTPUTS.status,
    `${name}'s status event`,
    events.map((e) => e.eventId),
  );
  for (const e of events) {
    if (e.status !== line.status) {
      f.add("wrong", OUTPUTS.status, `${name}: status ${e.status}, must be ${line.status}`);
      ok = false;
    }
  }
  return ok;
}

function checkDeliveryOrder(order: TaggedOrder, seen: SeenOrder, f: OrderFindings) {
  const routed = checkDeliveryRouted(order, seen.delivery, f);
  const stored = checkDeliveryStored(seen, f);
  const published = checkScheduledEvent(seen.status, f);
  checkLaterStatuses(seen.status, f);
  nowhere(seen, ["inventory", "dlq", "lines"], f);
  return { routed, applied: published && stored };
}

/** The delivery order once on `delivery_orders`, as sent and keyed by its order id. */
function checkDeliveryRouted(
  order: TaggedOrder,
  delivery: ObservedDeliveryRecord[],
  f: OrderFindings,
): boolean {
  const expected = order.delivery!;
  const routed = f.once(
    delivery.length,
    OUTPUTS.delivery,
    "the delivery order",
    delivery.map((r) => r.at ?? ""),
  );
  for (const r of delivery) {
    const got = { customerId: r.customerId, carrier: r.carrier, itemCount: r.itemCount };
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      f.add(
        "wrong",
        OUTPUTS.delivery,
        `routed as ${JSON.stringify(got)}, sent ${JSON.stringify(expected)}${where(r)}`,
      );
    }
    if (r.key !== order.orderId) {
      f.add("wrong", OUTPUTS.delivery, `keyed ${r.key}, not by its order id${where(r)}`);
    }
  }
  return routed;
}

/** One row in `deliveries` and one applied `scheduled` row in `delivery_events`. */
function checkDeliveryStored(seen: SeenOrder, f: OrderFindings): boolean {
  const scheduled = seen.deliveryEvents.filter((r) => r.toStatus === "scheduled");
  let ok = f.once(seen.deliveries.length, OUTPUTS.store, "the row in deliveries");
  ok = f.once(scheduled.length, OUTPUTS.store, "its scheduled row in delivery_events") && ok;
  for (const r of scheduled) {
    if (r.outcome !== "applied") {
      f.add("wrong", OUTPUTS.store, `scheduling ${r.outcome}, must be applied`);
      ok = false;
    }
  }
  return ok;
}

/** The delivery's `scheduled` status event once. */
function checkScheduledEvent(status: ObservedStatusEvent[], f: OrderFindings): boolean {
  const events = distinctIds(
    status.filter((e) => e.source === "delivery" && e.status === "scheduled"),
  );
  return f.once(
    events.length,
    OUTPUTS.status,
    "its scheduled status event",
    events.map((e) => e.eventId),
  );
}

/** Later statuses (a carrier moving it along) each once too; `rejected` may repeat by design. */
function checkLaterStatuses(status: ObservedStatusEvent[], f: OrderFindings): void {
  const byStatus = new Map<string, Set<string>>();
  for (const e of status) {
    if (e.source !== "delivery" || e.status === "rejected" || e.status === "scheduled") {
      continue;
    }
    byStatus.set(e.status, (byStatus.get(e.status) ?? new Set()).add(e.eventId));
  }
  for (const [s, set] of byStatus) {
    if (set.size > 1) {
      f.add(
        "duplicated",
        OUTPUTS.status,
        `status ${s}: ${set.size} events (${[...set].join(", ")})`,
      );
    }
  }
}

/** Once in the DLQ, for the reason it was made invalid, and nowhere else. */
function checkInvalidOrder(order: TaggedOrder, seen: SeenOrder, f: OrderFindings) {
  const dead = seen.dlq;
  f.once(dead.length, OUTPUTS.dlq, "the dead letter", dead.map((r) => r.at ?? ""));
  for (const r of dead) {
    if (!r.reason?.includes(order.dlqReason!)) {
      f.add(
        "wrong",
        OUTPUTS.dlq,
        `reason ${JSON.stringify(r.reason ?? null)} does not say ${
          JSON.stringify(order.dlqReason)
        }${where(r)}`,
      );
    }
  }
  nowhere(seen, SEEN_PLACES.filter((p) => p !== "dlq"), f);
  return { routed: false, applied: false };
}

/** The names the findings give each place an order may be seen. */
const PLACES: Record<keyof SeenOrder, string> = {
  inventory: OUTPUTS.inventory,
  delivery: OUTPUTS.delivery,
  dlq: OUTPUTS.dlq,
  status: OUTPUTS.status,
  lines: `${OUTPUTS.store} (inventory_lines)`,
  deliveries: `${OUTPUTS.store} (deliveries)`,
  deliveryEvents: `${OUTPUTS.store} (delivery_events)`,
};

/** The order must be in none of `places`. */
export function nowhere(
  seen: SeenOrder,
  places: readonly (keyof SeenOrder)[],
  f: Pick<OrderFindings, "add">,
): void {
  for (const place of places) {
    const found: (At | object)[] = seen[place];
    if (found.length > 0) {
      const at = found.map((r) => (r as At).at).filter(Boolean);
      f.add(
        "wrong",
        PLACES[place],
        `must not be here, found ${found.length}${at.length ? ` (${at.join(", ")})` : ""}`,
      );
    }
  }
}

/** One event per id: a repeated id is reported once, as a duplicate of the stream. */
export function distinctIds(events: ObservedStatusEvent[]): ObservedStatusEvent[] {
  const out = new Map<string, ObservedStatusEvent>();
  for (const e of events) if (!out.has(e.eventId)) out.set(e.eventId, e);
  return [...out.values()];
}

const sameMovement = (
  a: { sku: string; quantity: number; movement: string },
  b: { sku: string; quantity: number; movement: string },
) => a.sku === b.sku && a.quantity === b.quantity && a.movement === b.movement;

const where = (r: At) => (r.at ? ` (${r.at})` : "");
