/**
 * What the inventory data consumer does with a stock movement: apply it to
 * the stock (a reservation never takes stock below zero; a refusal is
 * recorded), and say so on the order status stream, one event per line;
 * each change of stock goes to the `inventory` change log too
 * (../orders/inventory_event.ts), once. The parameter of the shared loop in
 * ./effect_consumer.ts.
 *
 * @example
 * ```ts
 * import { inventoryChangeRecord } from "./inventory_effects.ts";
 * inventoryChangeRecord({
 *   orderId: "o-1", lineIndex: 0, sku: "SKU-1", quantity: 2, movement: "RESTOCK",
 *   onHandAfter: 7, sequence: 3, at: 0,
 * }).key; // "SKU-1"
 * ```
 * @module
 */
import type { StockMovement } from "../orders/model.ts";
import type {
  AppliedStockChange,
  InventoryLineRecord,
  StockMovementEffect,
  Store,
} from "../store/store.ts";
import {
  type ChangeRecord,
  type Consumed,
  type EffectSpec,
  recordedEvents,
} from "./effect_consumer.ts";
import { type OrderStatusEvent, statusEvent } from "../orders/status_event.ts";
import { inventoryEventOf, inventoryRecord } from "../orders/inventory_event.ts";

const APPLIED_STATUS: Record<StockMovement, string> = {
  RESERVE: "reserved",
  RESTOCK: "restocked",
  RELEASE: "released",
};

/** The status event of one recorded line. Pure. */
export function inventoryLineEvent(line: InventoryLineRecord): OrderStatusEvent {
  const refused = line.outcome === "refused";
  return statusEvent({
    source: "inventory",
    orderId: line.orderId,
    key: String(line.lineIndex),
    status: refused ? "refused" : APPLIED_STATUS[line.movement],
    at: line.recordedAt,
    detail: {
      lineIndex: line.lineIndex,
      sku: line.sku,
      quantity: line.quantity,
      movement: line.movement,
      ...(refused
        ? { available: line.available, reason: "insufficient stock: the reservation was refused" }
        : {}),
    },
  });
}

/** The `inventory` record of one applied change, keyed by SKU. Pure. */
export function inventoryChangeRecord(change: AppliedStockChange): ChangeRecord {
  const { key, value } = inventoryRecord(inventoryEventOf(change));
  return { key, value: { ...value } };
}

/** The applied change a recorded line made; undefined for a refusal (or a line from before schema 2). Pure. */
export function recordedChange(line: InventoryLineRecord): AppliedStockChange | undefined {
  if (line.outcome !== "applied" || !line.applied) return undefined;
  const { orderId, lineIndex, sku, quantity, movement, recordedAt } = line;
  return { orderId, lineIndex, sku, quantity, movement, ...line.applied, at: recordedAt };
}

/**
 * Reads a stock movement from an `inventory_orders` value, or says what is
 * wrong as the validator does (`<field>: <rule>, got <value>`, the order
 * last), so the DLQ groups these by rule too (shared/dlq_replay/failure_rule.ts). Pure.
 */
export function movementFromAvro(v: Record<string, unknown>): StockMovementEffect | {
  invalid: string;
} {
  const { orderId, lineIndex, sku, quantity, movement } = v;
  if (typeof orderId !== "string" || typeof sku !== "string") {
    return { invalid: "orderId and sku must be strings" };
  }
  if (typeof lineIndex !== "number" || typeof quantity !== "number" || quantity <= 0) {
    return {
      invalid: `quantity: must be a positive number on a numbered line, got ${
        String(quantity)
      } on line ${String(lineIndex)} of ${orderId}`,
    };
  }
  if (movement !== "RESERVE" && movement !== "RESTOCK" && movement !== "RELEASE") {
    return {
      invalid: `movement: must be RESERVE, RESTOCK or RELEASE, got ${
        String(movement)
      } on line ${lineIndex} of ${orderId}`,
    };
  }
  return { orderId, lineIndex, sku, quantity, movement };
}

/** The status events and changes of `records`, rebuilt from the store's lines of their orders. */
async function recordedLines(store: Store, records: readonly Consumed<StockMovementEffect>[]) {
  const changes: ChangeRecord[] = [];
  const { events, missing } = await recordedEvents(
    records,
    (orderId) => store.orderHistory(orderId),
    (lines, record) => {
      const line = lines.find((l) => l.lineIndex === record.lineIndex);
      const change = line && recordedChange(line);
      if (change) changes.push(inventoryChangeRecord(change));
      return line && inventoryLineEvent(line);
    },
  );
  return { events, changes, missing };
}

export const INVENTORY_EFFECTS: EffectSpec<StockMovementEffect> = {
  script: "inventory_data_consumer",
  fromAvro: movementFromAvro,
  orderIdOf: (r) => r.orderId,
  async apply(store, position, records) {
    const result = await store.applyInventoryBatch(position, records.map((r) => r.record));
    if (result.fenced) return { fenced: true, storedOffset: result.committedOffset };
    const changes = result.changes.map(inventoryChangeRecord);
    // Lines seen before (a replayed record) keep their first outcome: read it
    // back. Their changes were published when they were applied: only this
    // batch's own go out.
    if (result.duplicates > 0) {
      return { fenced: false, events: (await recordedLines(store, records)).events, changes };
    }
    const now = Date.now();
    const refused = new Map(result.refused.map((r) => [`${r.orderId}#${r.lineIndex}`, r]));
    return {
      fenced: false,
      changes,
      events: records.map(({ record }) => {
        const r = refused.get(`${record.orderId}#${record.lineIndex}`);
        return inventoryLineEvent({
          ...record,
          outcome: r ? "refused" : "applied",
          available: r?.available,
          recordedAt: now,
        });
      }),
    };
  },
  republish: recordedLines,
};
