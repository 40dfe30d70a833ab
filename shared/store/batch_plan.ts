/**
 * What a batch does to the store, decided in memory from the rows it
 * locked: the store reads them in one statement, plans here, and writes the
 * outcome back in a few multi-row statements (sql_store.ts), not three
 * statements a line. The plan walks the batch in order, as the rows would
 * have been applied one by one: a reservation sees the stock the lines
 * before it left, an event the status the events before it set.
 *
 * @example
 * ```ts
 * import { planMovements } from "./batch_plan.ts";
 * const plan = planMovements(
 *   [{ orderId: "o-1", lineIndex: 0, sku: "A", quantity: 3, movement: "RESERVE" }],
 *   new Set(["o-1\u00000"]),
 *   new Map([["A", 2]]),
 * );
 * plan.refused[0].available; // 2: nothing taken
 * ```
 * @module
 */
import {
  type DeliveryState,
  type DeliveryStatus,
  nextDeliveryStatus,
} from "../orders/delivery_lifecycle.ts";
import type {
  AppliedDeliveryChange,
  AppliedStockChange,
  DeliveryTransition,
  RefusedDeliveryChange,
  RefusedReservation,
  StockMovementEffect,
} from "./store.ts";

/** The key of an inventory line: its order and its index. Pure. */
export function lineKey(orderId: string, lineIndex: number): string {
  return `${orderId}\u0000${lineIndex}`;
}

/** The movements of a batch without a line seen earlier in it: the first of each wins. Pure. */
export function firstOfEachLine(
  movements: readonly StockMovementEffect[],
): StockMovementEffect[] {
  const seen = new Set<string>();
  return movements.filter((m) => {
    const key = lineKey(m.orderId, m.lineIndex);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An inventory batch, planned. */
export interface MovementPlan {
  applied: number;
  duplicates: number;
  refused: RefusedReservation[];
  /** Each SKU's units on hand after the batch, for the SKUs it changed. */
  stock: Map<string, number>;
  /** Each changed SKU's count of applied movements after the batch (its last change's `sequence`). */
  sequences: Map<string, number>;
  /** The movements that changed stock, in batch order, each with what it left. */
  changes: Omit<AppliedStockChange, "at">[];
}

/**
 * Applies `movements` in order to `onHand` (each SKU's locked units): a line
 * whose key is not in `claimed` was recorded before (a duplicate, no
 * effect), a reservation the stock cannot cover is refused and takes
 * nothing, a release or a restock adds. Each applied movement takes the
 * next number of its SKU's changes after `sequences` (the locked counts),
 * so a reader of the changes can order a SKU's history whatever order they
 * reach it in. Pure.
 */
export function planMovements(
  movements: readonly StockMovementEffect[],
  claimed: ReadonlySet<string>,
  onHand: ReadonlyMap<string, number>,
  sequences: ReadonlyMap<string, number> = new Map(),
): MovementPlan {
  const plan: MovementPlan = {
    applied: 0,
    duplicates: 0,
    refused: [],
    stock: new Map(),
    sequences: new Map(),
    changes: [],
  };
  const units = (sku: string) => plan.stock.get(sku) ?? onHand.get(sku) ?? 0;
  const applied = (m: StockMovementEffect, onHandAfter: number) => {
    const sequence = (plan.sequences.get(m.sku) ?? sequences.get(m.sku) ?? 0) + 1;
    plan.stock.set(m.sku, onHandAfter);
    plan.sequences.set(m.sku, sequence);
    plan.changes.push({ ...m, onHandAfter, sequence });
    plan.applied++;
  };
  const taken = new Set<string>();
  for (const m of movements) {
    const key = lineKey(m.orderId, m.lineIndex);
    // A line claimed once counts once, even if the batch holds it twice.
    if (!claimed.has(key) || taken.has(key)) {
      plan.duplicates++;
      continue;
    }
    taken.add(key);
    const available = units(m.sku);
    if (m.movement === "RESERVE") {
      if (available < m.quantity) {
        plan.refused.push({
          orderId: m.orderId,
          lineIndex: m.lineIndex,
          sku: m.sku,
          requested: m.quantity,
          available,
        });
        continue;
      }
      applied(m, available - m.quantity);
    } else {
      applied(m, available + m.quantity);
    }
  }
  return plan;
}

/** A delivery's row as the batch leaves it. */
export interface DeliveryRow {
  orderId: string;
  status: DeliveryStatus;
  lastEventId: string;
  /** Epoch ms of its first applied change (kept for a row that existed). */
  createdAt: number;
  updatedAt: number;
  /** Whether the row existed before the batch (an update) or not (an insert). */
  existed: boolean;
}

/** One event for the history, in batch order. */
export interface EventRow {
  eventId: string;
  orderId: string;
  from: DeliveryStatus | null;
  to: DeliveryStatus;
  at: number;
  outcome: "applied" | "refused";
  reason: string | null;
}

/** The history's entry for `t`. Pure. */
function eventRow(
  t: DeliveryTransition,
  from: DeliveryStatus | null,
  outcome: EventRow["outcome"],
  reason: string | null,
): EventRow {
  return { eventId: t.eventId, orderId: t.orderId, from, to: t.status, at: t.at, outcome, reason };
}

/** A delivery batch, planned. */
export interface TransitionPlan {
  applied: AppliedDeliveryChange[];
  duplicates: number;
  refused: RefusedDeliveryChange[];
  /** The rows the batch changed, inserted or updated. */
  deliveries: DeliveryRow[];
  events: EventRow[];
}

/**
 * Runs `transitions` in order through the lifecycle from the locked
 * `current` rows: an event in `seen` (recorded before) or recorded earlier
 * in the batch is a duplicate; the lifecycle's duplicate is one too; every
 * other event is applied or refused, and recorded. Pure.
 */
export function planTransitions(
  transitions: readonly DeliveryTransition[],
  seen: ReadonlySet<string>,
  current: ReadonlyMap<string, DeliveryState>,
): TransitionPlan {
  const plan: TransitionPlan = {
    applied: [],
    duplicates: 0,
    refused: [],
    deliveries: [],
    events: [],
  };
  const recorded = new Set(seen);
  const rows = new Map<string, DeliveryRow>();
  for (const t of transitions) {
    if (recorded.has(t.eventId)) {
      plan.duplicates++;
      continue;
    }
    const row = rows.get(t.orderId);
    const state = row
      ? { status: row.status, lastEventId: row.lastEventId }
      : current.get(t.orderId);
    const decision = nextDeliveryStatus(state, { status: t.status, eventId: t.eventId });
    const from = state?.status ?? null;
    switch (decision.kind) {
      case "duplicate":
        plan.duplicates++;
        break;
      case "apply":
        rows.set(t.orderId, {
          orderId: t.orderId,
          status: t.status,
          lastEventId: t.eventId,
          createdAt: row?.createdAt ?? t.at,
          updatedAt: t.at,
          existed: row?.existed ?? current.has(t.orderId),
        });
        plan.events.push(eventRow(t, from, "applied", t.reason ?? null));
        plan.applied.push({
          eventId: t.eventId,
          orderId: t.orderId,
          from: decision.from,
          to: decision.to,
          at: t.at,
        });
        recorded.add(t.eventId);
        break;
      case "refuse":
        plan.events.push(eventRow(t, from, "refused", decision.reason));
        plan.refused.push({
          eventId: t.eventId,
          orderId: t.orderId,
          from: state?.status,
          requested: t.status,
          reason: decision.reason,
        });
        recorded.add(t.eventId);
        break;
    }
  }
  plan.deliveries = [...rows.values()];
  return plan;
}
