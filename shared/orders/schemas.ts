/**
 * The Avro schemas of the routed topics, loaded from `schemas/*.avsc`, and
 * the registry subjects they are registered under.
 *
 * The `.avsc` files are the source of truth. They are imported as text
 * (`with { type: "text" }`), which puts them in the module graph: no
 * `--allow-read` is needed, and `deno compile` embeds them in the binary.
 * (A JSON import would be nicer, but Deno only accepts it for `.json` files.)
 *
 * Subjects follow Confluent's TopicNameStrategy, `<topic>-value`, so any
 * Confluent tool finds them where it looks.
 *
 * @example
 * ```ts
 * import avro from "avsc";
 * import { INVENTORY_ORDER_SCHEMA, INVENTORY_ORDERS_SUBJECT } from "./schemas.ts";
 * const type = avro.Type.forSchema(INVENTORY_ORDER_SCHEMA as avro.Schema);
 * INVENTORY_ORDERS_SUBJECT; // "inventory_orders-value"
 * // await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(INVENTORY_ORDER_SCHEMA) },
 * //   { subject: INVENTORY_ORDERS_SUBJECT });
 * ```
 * @module
 */
import { TOPICS } from "../kafka/topics.ts";
import inventoryOrderV1Text from "../../schemas/inventory_order.avsc" with { type: "text" };
import inventoryOrderV2Text from "../../schemas/inventory_order.v2.avsc" with { type: "text" };
import deliveryOrderText from "../../schemas/delivery_order.avsc" with { type: "text" };

/** A field of an Avro record schema, as written in an `.avsc` file. */
export interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly doc?: string;
  readonly default?: unknown;
}

/** An Avro record schema, as written in an `.avsc` file. */
export interface AvroRecordSchema {
  readonly type: "record";
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

/** Parses an embedded `.avsc` text; a broken file fails at import, loudly. */
function recordSchema(text: string, file: string): AvroRecordSchema {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new Error(`schemas/${file} is not valid JSON: ${(err as Error).message}`);
  }
  const s = schema as Partial<AvroRecordSchema> | null;
  if (s === null || s.type !== "record" || typeof s.name !== "string" || !Array.isArray(s.fields)) {
    throw new Error(`schemas/${file} is not an Avro record schema`);
  }
  return s as AvroRecordSchema;
}

/** `com.orderpipeline.InventoryOrder`, version 1 (schemas/inventory_order.avsc). */
export const INVENTORY_ORDER_SCHEMA: AvroRecordSchema = recordSchema(
  inventoryOrderV1Text,
  "inventory_order.avsc",
);

/**
 * `com.orderpipeline.InventoryOrder`, version 2 (schemas/inventory_order.v2.avsc):
 * version 1 plus an optional `warehouse` with a `null` default. Fully
 * compatible with version 1, both ways.
 */
export const INVENTORY_ORDER_SCHEMA_V2: AvroRecordSchema = recordSchema(
  inventoryOrderV2Text,
  "inventory_order.v2.avsc",
);

/** `com.orderpipeline.DeliveryOrder` (schemas/delivery_order.avsc). */
export const DELIVERY_ORDER_SCHEMA: AvroRecordSchema = recordSchema(
  deliveryOrderText,
  "delivery_order.avsc",
);

/** The registry subject of a topic's values under TopicNameStrategy. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** `inventory_orders-value` */
export const INVENTORY_ORDERS_SUBJECT: string = valueSubject(TOPICS.inventoryOrders.name);
/** `delivery_orders-value` */
export const DELIVERY_ORDERS_SUBJECT: string = valueSubject(TOPICS.deliveryOrders.name);

/**
 * Every schema version of each subject, oldest first: registering them in
 * this order is how the evolution is proven compatible by the registry.
 */
export const SCHEMA_HISTORY: ReadonlyArray<
  { readonly subject: string; readonly versions: readonly AvroRecordSchema[] }
> = [
  {
    subject: INVENTORY_ORDERS_SUBJECT,
    versions: [INVENTORY_ORDER_SCHEMA, INVENTORY_ORDER_SCHEMA_V2],
  },
  { subject: DELIVERY_ORDERS_SUBJECT, versions: [DELIVERY_ORDER_SCHEMA] },
];
