/**
 * The Avro schema of `delivery_events` (schemas/delivery_event.avsc): a
 * carrier's update of one delivery, as the carrier simulator writes it and
 * the delivery data consumer reads it, and its registry subject.
 *
 * Loaded as text like ./schemas.ts does, so no `--allow-read` is needed and
 * `deno compile` embeds it.
 *
 * @example
 * ```ts
 * import { DELIVERY_EVENT_SCHEMA, DELIVERY_EVENTS_SUBJECT } from "./delivery_event_schema.ts";
 * DELIVERY_EVENTS_SUBJECT; // "delivery_events-value"
 * DELIVERY_EVENT_SCHEMA.name; // "DeliveryEvent"
 * ```
 * @module
 */
import { TOPICS } from "../kafka/topics.ts";
import { type AvroRecordSchema, valueSubject } from "./schemas.ts";
import deliveryEventText from "../../schemas/delivery_event.avsc" with { type: "text" };

/** The statuses a carrier reports, as the schema's enum lists them. */
export const DELIVERY_EVENT_STATUSES = ["dispatched", "in_transit", "delivered", "failed"] as const;
/** A status a carrier reports. */
export type DeliveryEventStatus = typeof DELIVERY_EVENT_STATUSES[number];

/** One `delivery_events` value, as encoded and decoded. */
export interface DeliveryEventValue {
  eventId: string;
  orderId: string;
  status: DeliveryEventStatus;
  /** Epoch ms. */
  at: number;
  carrier: string;
  reason: string | null;
}

function parse(text: string): AvroRecordSchema {
  const s = JSON.parse(text) as Partial<AvroRecordSchema> | null;
  if (s === null || s.type !== "record" || s.name !== "DeliveryEvent" || !Array.isArray(s.fields)) {
    throw new Error("schemas/delivery_event.avsc is not the DeliveryEvent record schema");
  }
  return s as AvroRecordSchema;
}

/** `com.orderpipeline.DeliveryEvent` (schemas/delivery_event.avsc). */
export const DELIVERY_EVENT_SCHEMA: AvroRecordSchema = parse(deliveryEventText);

/** `delivery_events-value` */
export const DELIVERY_EVENTS_SUBJECT: string = valueSubject(TOPICS.deliveryEvents.name);
