/**
 * What the inventory data consumer does with a stock movement: apply it to
 * the stock (a reservation never takes stock below zero; a refusal is
 * recorded), and say so on the order status stream, one event per line.
 * The parameter of the shared loop in ./effect_consumer.ts.
 * @module
 */
import type { StockMovement } from "../orders/model.ts";
import type { InventoryLineRecord, StockMovementEffect, Store } from "../store/store.ts";
import type { Consumed, EffectSpec } from "./effect_consumer.ts";
import { type OrderStatusEvent, statusEvent } from "./status_event.ts";

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

/** Reads a stock movement from an `inventory_orders` value, or says what is wrong. Pure. */
export function movementFromAvro(v: Record<string, unknown>): StockMovementEffect | {
  invalid: string;
} {
  const { orderId, lineIndex, sku, quantity, movement } = v;
  if (typeof orderId !== "string" || typeof sku !== "string") {
    return { invalid: "orderId and sku must be strings" };
  }
  if (typeof lineIndex !== "number" || typeof quantity !== "number" || quantity <= 0) {
    return { invalid: `${orderId}: lineIndex and a positive quantity are required` };
  }
  if (movement !== "RESERVE" && movement !== "RESTOCK" && movement !== "RELEASE") {
    return { invalid: `${orderId}#${lineIndex}: unknown movement ${String(movement)}` };
  }
  return { orderId, lineIndex, sku, quantity, movement };
}

/** The events of `records`, rebuilt from the store; `missing` the records it has no line of. */
async function recordedLines(
  store: Store,
  records: readonly Consumed<StockMovementEffect>[],
): Promise<{ events: OrderStatusEvent[]; missing: Consumed<StockMovementEffect>[] }> {
  const byOrder = new Map<string, InventoryLineRecord[]>();
  for (const orderId of new Set(records.map((r) => r.record.orderId))) {
    byOrder.set(orderId, await store.orderHistory(orderId));
  }
  const events: OrderStatusEvent[] = [];
  const missing: Consumed<StockMovementEffect>[] = [];
  for (const r of records) {
    const line = byOrder.get(r.record.orderId)?.find((l) => l.lineIndex === r.record.lineIndex);
    if (line) events.push(inventoryLineEvent(line));
    else missing.push(r);
  }
  return { events, missing };
}

export const INVENTORY_EFFECTS: EffectSpec<StockMovementEffect> = {
  script: "inventory_data_consumer",
  fromAvro: movementFromAvro,
  orderIdOf: (r) => r.orderId,
  async apply(store, position, records) {
    const result = await store.applyInventoryBatch(position, records.map((r) => r.record));
    if (result.fenced) return { fenced: true, storedOffset: result.committedOffset };
    // Lines seen before (a replayed record) keep their first outcome: read it back.
    if (result.duplicates > 0) {
      return { fenced: false, events: (await recordedLines(store, records)).events };
    }
    const now = Date.now();
    const refused = new Map(result.refused.map((r) => [`${r.orderId}#${r.lineIndex}`, r]));
    return {
      fenced: false,
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
