/**
 * The store the consumers keep their state in: stock levels, deliveries and
 * the Kafka offsets they consumed, behind one small interface with two real
 * backends (embedded SQLite, PostgreSQL). Open one with `openStore` from
 * open_store.ts.
 *
 * Exactly-once effects come from two guards that hold in one database
 * transaction per batch:
 *
 * - **Offsets in the database.** A consumer seeks to
 *   {@linkcode Store.committedOffsets} on assignment and passes each batch's
 *   position (`firstOffset`, `nextOffset`) with its effects. The rule: the
 *   stored offset of the partition is read under a lock first; if it is
 *   *greater than* `firstOffset`, someone else already applied (part of)
 *   this batch, so the batch is **fenced**: the whole transaction rolls
 *   back, nothing is applied, and the result says `fenced: true` with the
 *   stored offset (re-read committed offsets and seek there, or drop the
 *   partition). Equal is the normal case (the batch starts where the last
 *   one ended); smaller means a gap (e.g. retention deleted records) and is
 *   accepted, with `previousOffset` telling the caller. The offset is then
 *   written only if it moves forward, so it never moves back.
 * - **Processed keys.** Each inventory line (`orderId`, `lineIndex`) and
 *   each delivery event (`eventId`) is recorded with its outcome; seen again
 *   (the same record at another offset, a replay from the DLQ), it is a
 *   duplicate and changes nothing, even if it had been refused.
 *
 * A reservation takes stock only through a conditional update
 * (`on_hand >= quantity`, plus a CHECK constraint), so concurrent writers
 * can never oversell. Lock conflicts (SQLite busy, PostgreSQL deadlock or
 * serialization failure) retry the whole transaction with backoff and end
 * in {@linkcode StoreBusyError} when they persist.
 *
 * @example
 * ```ts
 * import { openStore } from "./open_store.ts";
 * import { createLogger } from "../platform/log.ts";
 * const store = await openStore({ url: "sqlite::memory:", log: createLogger({ name: "store" }) });
 * await store.setStock("SKU-1", 5);
 * const result = await store.applyInventoryBatch(
 *   { group: "inventory-sync", topic: "inventory_orders", partition: 0, firstOffset: 0, nextOffset: 1 },
 *   [{ orderId: "o-1", lineIndex: 0, sku: "SKU-1", quantity: 2, movement: "RESERVE" }],
 * );
 * result.applied; // 1
 * await store.stock("SKU-1"); // 3
 * await store.close();
 * ```
 * @module
 */
import type { StockMovement } from "../orders/model.ts";
import { type DeliveryStatus, isDeliveryStatus } from "../orders/delivery_lifecycle.ts";

export type { DeliveryStatus } from "../orders/delivery_lifecycle.ts";

/** Which database a store runs on. */
export type StoreBackend = "sqlite" | "postgres";

/** Where a batch of records came from and where the consumer will go on. */
export interface BatchPosition {
  group: string;
  topic: string;
  partition: number;
  /** Offset of the batch's first record. */
  firstOffset: number;
  /** Offset to read next: the last record's offset + 1 (= firstOffset for an empty batch). */
  nextOffset: number;
}

/** One inventory line's effect on stock, as the inventory consumer decoded it. */
export interface StockMovementEffect {
  orderId: string;
  lineIndex: number;
  sku: string;
  /** A positive whole number. */
  quantity: number;
  movement: StockMovement;
}

/**
 * A movement that changed stock, as the store applied it: what the
 * inventory consumer publishes on the `inventory` topic.
 */
export interface AppliedStockChange extends StockMovementEffect {
  /** The SKU's units on hand right after this movement. */
  onHandAfter: number;
  /** This SKU's applied movements so far, this one included: 1, 2, 3, … with no gaps. */
  sequence: number;
  /** Epoch ms, when the store applied it (its line's `recordedAt`). */
  at: number;
}

/** A reservation the stock could not cover; nothing was taken. */
export interface RefusedReservation {
  orderId: string;
  lineIndex: number;
  sku: string;
  requested: number;
  /** Units on hand when it was refused. */
  available: number;
}

/** What a batch did to the offsets, common to both kinds of batch. */
export interface BatchOutcome {
  /**
   * True when the stored offset was already past `firstOffset`: another
   * instance got there first, nothing was applied and the offset is unchanged.
   */
  fenced: boolean;
  /** The partition's offset before this batch; undefined on its first batch. */
  previousOffset: number | undefined;
  /** The partition's offset after this batch (the stored one when fenced). */
  committedOffset: number;
}

/** What {@linkcode Store.applyInventoryBatch} did. */
export interface InventoryBatchResult extends BatchOutcome {
  /** Movements that changed stock. */
  applied: number;
  /** Movements whose (orderId, lineIndex) had been seen before: no effect. */
  duplicates: number;
  /** Reservations refused in this batch, in batch order (duplicates excluded). */
  refused: RefusedReservation[];
  /** The movements that changed stock, in batch order (duplicates and refusals excluded). */
  changes: AppliedStockChange[];
}

/** One delivery event: the status an order's shipment moves to. */
export interface DeliveryTransition {
  /** Unique per event; seen again it is a duplicate. */
  eventId: string;
  orderId: string;
  status: DeliveryStatus;
  /** Epoch ms, when it happened. */
  at: number;
  /** Why, e.g. for `failed`; kept in the history. */
  reason?: string;
}

/** A status change a delivery batch applied, for publishing. */
export interface AppliedDeliveryChange {
  eventId: string;
  orderId: string;
  from: DeliveryStatus | undefined;
  to: DeliveryStatus;
  at: number;
}

/** A delivery event the lifecycle did not allow. */
export interface RefusedDeliveryChange {
  eventId: string;
  orderId: string;
  from: DeliveryStatus | undefined;
  requested: DeliveryStatus;
  reason: string;
}

/** What {@linkcode Store.applyDeliveryBatch} did. */
export interface DeliveryBatchResult extends BatchOutcome {
  /** Changes applied, in batch order. */
  applied: AppliedDeliveryChange[];
  /** Events seen before: no effect. */
  duplicates: number;
  /** Events refused in this batch, with reasons. */
  refused: RefusedDeliveryChange[];
}

/** One entry of a delivery's history: applied changes and refused events alike. */
export interface DeliveryHistoryEntry {
  eventId: string;
  from: DeliveryStatus | undefined;
  to: DeliveryStatus;
  at: number;
  outcome: "applied" | "refused";
  /** The event's reason when applied; why it was refused otherwise. */
  reason?: string;
}

/** A delivery's current status and how it got there. */
export interface DeliveryRecord {
  orderId: string;
  /** Undefined when every event so far was refused (e.g. no `scheduled` yet). */
  status: DeliveryStatus | undefined;
  /** Epoch ms of the last applied change. */
  updatedAt: number | undefined;
  history: DeliveryHistoryEntry[];
}

/** One inventory line of an order as the store recorded it. */
export interface InventoryLineRecord {
  orderId: string;
  lineIndex: number;
  sku: string;
  movement: StockMovement;
  quantity: number;
  outcome: "applied" | "refused";
  /** Units on hand when a reservation was refused. */
  available?: number;
  /**
   * For an applied line: the SKU's units on hand after it and its number
   * among the SKU's changes. Absent for lines applied before schema version 2.
   */
  applied?: { onHandAfter: number; sequence: number };
  /** Epoch ms, when the store recorded it. */
  recordedAt: number;
}

/** What {@linkcode Store.migrate} did. */
export interface MigrationResult {
  /** Versions this call applied (empty when the schema was current). */
  applied: number[];
  /** The schema version now. */
  version: number;
}

/** The store interface the consumers use. Every method is async so both backends fit. */
export interface Store {
  readonly backend: StoreBackend;
  /** Where the data lives, without credentials, for logs. */
  readonly location: string;
  /** Creates or upgrades the schema; idempotent and safe to run from several processes at once. */
  migrate(): Promise<MigrationResult>;
  /** The next offset to read per partition, as committed by batches; empty for a new group. */
  committedOffsets(group: string, topic: string): Promise<Map<number, number>>;
  /** Applies stock movements and the batch's offset in one transaction; see the module doc. */
  applyInventoryBatch(
    position: BatchPosition,
    movements: readonly StockMovementEffect[],
  ): Promise<InventoryBatchResult>;
  /** Applies delivery events and the batch's offset in one transaction; see the module doc. */
  applyDeliveryBatch(
    position: BatchPosition,
    transitions: readonly DeliveryTransition[],
  ): Promise<DeliveryBatchResult>;
  /** Units on hand of one SKU; undefined for a SKU never seen. */
  stock(sku: string): Promise<number | undefined>;
  /** Units on hand of every SKU, by SKU. */
  allStock(): Promise<Map<string, number>>;
  /** Sets a SKU's units on hand (seeding, the demo); not a consumer's path. */
  setStock(sku: string, onHand: number): Promise<void>;
  /** A delivery's status and history; undefined when no event for it was ever seen. */
  delivery(orderId: string): Promise<DeliveryRecord | undefined>;
  /** The inventory lines of an order the store recorded, applied or refused, by line. */
  orderHistory(orderId: string): Promise<InventoryLineRecord[]>;
  /**
   * Remembers the address an order gave for notifications (`null`: none);
   * the first record of an order wins, so a replayed order changes nothing.
   */
  rememberRecipients(recipients: readonly NotificationRecipient[]): Promise<void>;
  /** An order's remembered address; undefined when its order was never recorded. */
  recipientOf(orderId: string): Promise<{ email: string | null } | undefined>;
  /** The ledger entry of a status event's message, if the SMTP server accepted it. */
  sentNotification(eventId: string): Promise<SentNotification | undefined>;
  /** Records that a message was accepted; recording one already there keeps the first. */
  recordSentNotification(sent: SentNotification): Promise<void>;
  /** Closes connections; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Where an order's status notifications go. */
export interface NotificationRecipient {
  orderId: string;
  email: string | null;
}

/** A notification the SMTP server accepted (shared/notify/notifier_work.ts). */
export interface SentNotification {
  eventId: string;
  orderId: string;
  recipient: string;
  messageId: string;
  sentAt: number;
}

/** A store failure said in one sentence: unreachable database, bad URL. */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** The database stayed locked or kept conflicting through every retry. */
export class StoreBusyError extends StoreError {
  constructor(readonly attempts: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `the database stayed busy through ${attempts} attempts (${why}); ` +
        "another connection holds a lock too long or contention is too high",
      { cause },
    );
    this.name = "StoreBusyError";
  }
}

/** Throws a RangeError for a movement or position no consumer should send. */
export function validatePosition(position: BatchPosition): void {
  const { partition, firstOffset, nextOffset } = position;
  if (!Number.isInteger(partition) || partition < 0) {
    throw new RangeError(`partition must be a whole number ≥ 0, got ${partition}`);
  }
  if (!Number.isSafeInteger(firstOffset) || firstOffset < 0) {
    throw new RangeError(`firstOffset must be a whole number ≥ 0, got ${firstOffset}`);
  }
  if (!Number.isSafeInteger(nextOffset) || nextOffset < firstOffset) {
    throw new RangeError(
      `nextOffset must be a whole number ≥ firstOffset (${firstOffset}), got ${nextOffset}`,
    );
  }
}

/** Throws a RangeError for a movement that would corrupt stock (e.g. a negative release). */
export function validateMovement(m: StockMovementEffect): void {
  if (!Number.isSafeInteger(m.quantity) || m.quantity <= 0) {
    throw new RangeError(
      `quantity of ${m.orderId}#${m.lineIndex} must be a whole number > 0, got ${m.quantity}`,
    );
  }
  if (!["RESERVE", "RESTOCK", "RELEASE"].includes(m.movement)) {
    throw new RangeError(`unknown movement "${m.movement}" in ${m.orderId}#${m.lineIndex}`);
  }
}

/** Throws a RangeError for a delivery event the schema cannot hold. */
export function validateTransition(t: DeliveryTransition): void {
  if (!isDeliveryStatus(t.status)) {
    throw new RangeError(`unknown delivery status "${t.status}" in event ${t.eventId}`);
  }
  if (!Number.isSafeInteger(t.at)) {
    throw new RangeError(`"at" of event ${t.eventId} must be epoch milliseconds, got ${t.at}`);
  }
}
