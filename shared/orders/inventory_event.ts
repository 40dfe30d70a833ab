/**
 * The `inventory` topic's events: each stock change the inventory data
 * consumer applied (schemas/inventory_event.avsc), how an applied change
 * becomes one ({@linkcode inventoryEventOf}), and how a reader folds them
 * back into stock per SKU ({@linkcode foldStock}).
 *
 * A SKU's events carry its change numbers 1, 2, 3, … (`sequence`, kept by
 * the store with the stock), so the fold takes each SKU's highest: the
 * order in which events reach a reader (a record retried later, a batch
 * republished after a crash) does not matter.
 *
 * Loaded as text like ./schemas.ts does, so no `--allow-read` is needed and
 * `deno compile` embeds it.
 *
 * @example
 * ```ts
 * import { foldStock, inventoryEventOf } from "./inventory_event.ts";
 * const event = inventoryEventOf({
 *   orderId: "o-1", lineIndex: 0, sku: "SKU-1", quantity: 2, movement: "RESERVE",
 *   onHandAfter: 3, sequence: 4, at: 0,
 * });
 * event.quantityChange; // -2
 * foldStock(new Map(), [event]).get("SKU-1")?.onHand; // 3
 * ```
 * @module
 */
import { TOPICS } from "../kafka/topics.ts";
import type { StockMovement } from "./model.ts";
import type { AppliedStockChange } from "../store/store.ts";
import { type AvroRecordSchema, valueSubject } from "./schemas.ts";
import inventoryEventText from "../../schemas/inventory_event.avsc" with { type: "text" };

/** One `inventory` value, as encoded and decoded. */
export interface InventoryEvent {
  sku: string;
  /** Signed: negative for a reservation. */
  quantityChange: number;
  onHandAfter: number;
  movement: StockMovement;
  orderId: string;
  lineIndex: number;
  /** The SKU's change number, from 1, without gaps. */
  sequence: number;
  /** Epoch ms. */
  at: number;
}

function parse(text: string): AvroRecordSchema {
  const s = JSON.parse(text) as Partial<AvroRecordSchema> | null;
  if (
    s === null || s.type !== "record" || s.name !== "InventoryEvent" || !Array.isArray(s.fields)
  ) {
    throw new Error("schemas/inventory_event.avsc is not the InventoryEvent record schema");
  }
  return s as AvroRecordSchema;
}

/** `com.orderpipeline.InventoryEvent` (schemas/inventory_event.avsc). */
export const INVENTORY_EVENT_SCHEMA: AvroRecordSchema = parse(inventoryEventText);

/** `inventory-value` */
export const INVENTORY_EVENTS_SUBJECT: string = valueSubject(TOPICS.inventory.name);

/** Units a movement adds to stock, per unit moved. */
const DIRECTION: Record<StockMovement, number> = { RESERVE: -1, RESTOCK: 1, RELEASE: 1 };

/** The event of one applied change. Pure. */
export function inventoryEventOf(change: AppliedStockChange): InventoryEvent {
  return {
    sku: change.sku,
    quantityChange: DIRECTION[change.movement] * change.quantity,
    onHandAfter: change.onHandAfter,
    movement: change.movement,
    orderId: change.orderId,
    lineIndex: change.lineIndex,
    sequence: change.sequence,
    at: change.at,
  };
}

/** The Kafka message of an event, before its value is encoded: keyed by SKU. */
export function inventoryRecord(e: InventoryEvent): { key: string; value: InventoryEvent } {
  return { key: e.sku, value: e };
}

/** A SKU's stock as its events tell it. */
export interface StockLevel {
  sku: string;
  onHand: number;
  /** The change number `onHand` comes from: the highest seen. */
  sequence: number;
  /** Epoch ms of that change. */
  at: number;
}

/**
 * `levels` with `events` folded in: each SKU takes the event with its
 * highest change number, whatever the order they come in; an event seen
 * again (same number) changes nothing. Returns a new map. Pure.
 */
export function foldStock(
  levels: ReadonlyMap<string, StockLevel>,
  events: Iterable<Pick<InventoryEvent, "sku" | "onHandAfter" | "sequence" | "at">>,
): Map<string, StockLevel> {
  const next = new Map(levels);
  for (const e of events) {
    const known = next.get(e.sku);
    if (known && known.sequence >= e.sequence) continue;
    next.set(e.sku, { sku: e.sku, onHand: e.onHandAfter, sequence: e.sequence, at: e.at });
  }
  return next;
}

/** Reads a decoded `inventory` value, or says which field is wrong. Pure. */
export function parseInventoryEvent(v: Record<string, unknown>): InventoryEvent | {
  invalid: string;
} {
  for (const field of ["sku", "orderId", "movement"] as const) {
    if (typeof v[field] !== "string") return { invalid: `${field}: missing or not a string` };
  }
  for (const field of ["quantityChange", "onHandAfter", "lineIndex", "sequence", "at"] as const) {
    if (typeof v[field] !== "number") return { invalid: `${field}: missing or not a number` };
  }
  return v as unknown as InventoryEvent;
}
