/**
 * Order validation, pure: every problem in an order, each with the path of
 * the field it is about (`items[2].quantity: must be a positive whole number,
 * got -1`), so the gateway can answer 400 naming each bad field and the
 * producers can put the full reason on a dead-lettered order.
 *
 * One function per type: {@linkcode validateRawOrder} checks the shape every
 * order shares (and the inventory and delivery fields when present),
 * {@linkcode validateInventoryOrder} and {@linkcode validateDeliveryOrder} add
 * what their type requires, and {@linkcode validateForType} picks by type.
 * A valid result carries a clean copy of the order: known fields only,
 * nothing defaulted (routing fills defaults, see route.ts).
 *
 * @example
 * ```ts
 * import { formatProblems, parseOrderJson, validateForType } from "./validate.ts";
 * const result = validateForType({
 *   orderId: "ord-1",
 *   type: "inventory",
 *   customerId: "cust-7",
 *   items: [{ sku: "SKU-1001", quantity: -1, unitPrice: 24.99 }],
 *   createdAt: "2024-06-18T12:34:56Z",
 * }, "inventory");
 * if (!result.ok) formatProblems(result.problems);
 * // "items[0].quantity: must be a positive whole number, got -1"
 * parseOrderJson("{oops").ok; // false, with a problem at path ""
 * ```
 * @module
 */
import {
  type Address,
  type DeliveryDetails,
  type LineItem,
  type Movement,
  MOVEMENTS,
  ORDER_LIMITS,
  type RawDeliveryOrder,
  type RawInventoryOrder,
  type RawOrder,
} from "./model.ts";
import { orderTotal } from "./enrich.ts";

/** One thing wrong with an order. `path` is "" for the order as a whole. */
export interface Problem {
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; order: T } | { ok: false; problems: Problem[] };

/** `items[2].quantity: must be ...`, or just the message for the root. */
export function formatProblem(problem: Problem): string {
  return problem.path === "" ? problem.message : `${problem.path}: ${problem.message}`;
}

/** All problems on one line, `; `-separated: for logs and DLQ reasons. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map(formatProblem).join("; ");
}

const ORDER_ID = /^[A-Za-z0-9._:-]+$/;
const ORDER_TYPE = /^[a-z][a-z0-9_-]*$/;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CURRENCY = /^[A-Z]{3}$/;
/** local@domain.tld, no spaces or angle brackets (it goes into an SMTP envelope as it is). */
const EMAIL = /^[^\s<>@]+@[^\s<>@]+\.[^\s<>@.]+$/;
/** RFC 5321's longest path. */
const MAX_EMAIL_LENGTH = 254;
const COUNTRY = /^[A-Z]{2}$/;
/** ISO 8601 date-time with seconds optional and a mandatory zone (local times are ambiguous). */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

const MAX_TYPE_LENGTH = 32;
const MAX_POSTAL_CODE_LENGTH = 16;
const MAX_CARRIER_LENGTH = 32;

/** Epoch ms of an ISO 8601 date-time with a zone, or undefined if it is not one (or no such day). */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

// ---------------------------------------------------------------------------
// Field checks. Each records its problems in `problems` and returns the value
// when it is good, `undefined` otherwise, so later checks that need several
// fields (total against the lines, window against createdAt) run only on
// good values and never pile a second, derived complaint onto a first.

type Fields = Record<string, unknown>;

/** What a value is, in the words a sender would use. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** A value shown in a message: strings quoted and cut short. */
function show(value: unknown): string {
  if (typeof value !== "string") return String(value);
  const cut = value.length > 40 ? value.slice(0, 40) + "…" : value;
  return JSON.stringify(cut);
}

function join(base: string, key: string): string {
  return base === "" ? key : `${base}.${key}`;
}

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Checker {
  readonly problems: Problem[] = [];

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  object(value: unknown, path: string, required = true): Fields | undefined {
    if (value === undefined) {
      if (required) this.add(path, "is required");
      return undefined;
    }
    if (!isObject(value)) {
      this.add(path, `must be an object, got ${kindOf(value)}`);
      return undefined;
    }
    return value;
  }

  string(
    value: unknown,
    path: string,
    rule: { max: number; required?: boolean; pattern?: RegExp; expected?: string },
  ): string | undefined {
    if (value === undefined) {
      if (rule.required ?? true) this.add(path, "is required");
      return undefined;
    }
    if (typeof value !== "string") {
      this.add(path, `must be a string, got ${kindOf(value)}`);
      return undefined;
    }
    if (value.trim() === "") {
      this.add(path, "must not be empty");
      return undefined;
    }
    if (value.length > rule.max) {
      this.add(path, `must be at most ${rule.max} characters, got ${value.length}`);
      return undefined;
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      this.add(path, `${rule.expected}, got ${show(value)}`);
      return undefined;
    }
    return value;
  }

  number(value: unknown, path: string, required = true): number | undefined {
    if (value === undefined) {
      if (required) this.add(path, "is required");
      return undefined;
    }
    if (typeof value !== "number") {
      this.add(path, `must be a number, got ${kindOf(value)}`);
      return undefined;
    }
    if (!Number.isFinite(value)) {
      this.add(path, `must be a finite number, got ${value}`);
      return undefined;
    }
    return value;
  }

  quantity(value: unknown, path: string): number | undefined {
    const n = this.number(value, path);
    if (n === undefined) return undefined;
    if (!Number.isInteger(n) || n <= 0) {
      this.add(path, `must be a positive whole number, got ${n}`);
      return undefined;
    }
    if (n > ORDER_LIMITS.maxQuantity) {
      this.add(path, `must be at most ${ORDER_LIMITS.maxQuantity}, got ${n}`);
      return undefined;
    }
    return n;
  }

  /** A non-negative amount in whole cents. */
  price(value: unknown, path: string): number | undefined {
    const n = this.number(value, path);
    if (n === undefined) return undefined;
    if (n < 0) {
      this.add(path, `must not be negative, got ${n}`);
      return undefined;
    }
    if (Math.abs(n * 100 - Math.round(n * 100)) > 1e-6) {
      this.add(path, `must have at most 2 decimal places, got ${n}`);
      return undefined;
    }
    return n;
  }

  dateTime(value: unknown, path: string): number | undefined {
    const text = this.string(value, path, { max: 64 });
    if (text === undefined) return undefined;
    const ms = parseDateTime(text);
    if (ms === undefined) {
      this.add(
        path,
        `must be an ISO 8601 date-time with a time zone, such as 2024-06-18T12:34:56Z, got ${
          show(text)
        }`,
      );
    }
    return ms;
  }

  oneOf<T extends string>(
    value: unknown,
    path: string,
    allowed: readonly T[],
    required = true,
  ): T | undefined {
    const text = this.string(value, path, { max: 64, required });
    if (text === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(text)) {
      this.add(path, `must be one of ${allowed.join(", ")}, got ${show(text)}`);
      return undefined;
    }
    return text as T;
  }
}

// ---------------------------------------------------------------------------
// The shapes.

function checkItem(c: Checker, value: unknown, path: string): LineItem | undefined {
  const item = c.object(value, path);
  if (item === undefined) return undefined;
  const before = c.problems.length;
  const sku = c.string(item.sku, join(path, "sku"), {
    max: ORDER_LIMITS.maxIdLength,
    pattern: SKU,
    expected: "must be letters, digits, '.', '_' or '-', starting with a letter or digit",
  });
  const quantity = c.quantity(item.quantity, join(path, "quantity"));
  const unitPrice = c.price(item.unitPrice, join(path, "unitPrice"));
  const productName = c.string(item.productName, join(path, "productName"), {
    max: ORDER_LIMITS.maxTextLength,
    required: false,
  });
  if (c.problems.length > before) return undefined;
  const line: LineItem = { sku: sku!, quantity: quantity!, unitPrice: unitPrice! };
  if (productName !== undefined) line.productName = productName;
  return line;
}

function checkItems(c: Checker, value: unknown): LineItem[] | undefined {
  if (value === undefined) {
    c.add("items", "is required");
    return undefined;
  }
  if (!Array.isArray(value)) {
    c.add("items", `must be an array, got ${kindOf(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    c.add("items", "must have at least one item");
    return undefined;
  }
  if (value.length > ORDER_LIMITS.maxItems) {
    // Not item by item: a huge order would drown its one real problem.
    c.add("items", `must have at most ${ORDER_LIMITS.maxItems} items, got ${value.length}`);
    return undefined;
  }
  const items = value.map((item, i) => checkItem(c, item, `items[${i}]`));
  return items.every((item) => item !== undefined) ? items as LineItem[] : undefined;
}

function checkAddress(c: Checker, value: unknown, path: string): Address | undefined {
  const address = c.object(value, path);
  if (address === undefined) return undefined;
  const text = { max: ORDER_LIMITS.maxTextLength };
  const name = c.string(address.name, join(path, "name"), text);
  const street = c.string(address.street, join(path, "street"), text);
  const city = c.string(address.city, join(path, "city"), text);
  const postalCode = c.string(address.postalCode, join(path, "postalCode"), {
    max: MAX_POSTAL_CODE_LENGTH,
  });
  const country = c.string(address.country, join(path, "country"), {
    max: 2,
    pattern: COUNTRY,
    expected: "must be an ISO 3166-1 alpha-2 code of 2 capital letters, such as NL",
  });
  if (!name || !street || !city || !postalCode || !country) return undefined;
  return { name, street, city, postalCode, country };
}

function checkDelivery(
  c: Checker,
  value: unknown,
  createdAt: number | undefined,
): DeliveryDetails | undefined {
  const delivery = c.object(value, "delivery");
  if (delivery === undefined) return undefined;
  const address = checkAddress(c, delivery.address, "delivery.address");
  const carrier = c.string(delivery.carrier, "delivery.carrier", { max: MAX_CARRIER_LENGTH });
  const window = c.object(delivery.window, "delivery.window");
  let from: number | undefined, to: number | undefined;
  if (window !== undefined) {
    from = c.dateTime(window.from, "delivery.window.from");
    to = c.dateTime(window.to, "delivery.window.to");
    if (from !== undefined && to !== undefined && from >= to) {
      c.add("delivery.window.to", "must be after delivery.window.from");
      to = undefined;
    } else if (to !== undefined && createdAt !== undefined && to <= createdAt) {
      c.add("delivery.window.to", "must be after createdAt: the window is over before the order");
      to = undefined;
    }
  }
  if (!address || !carrier || from === undefined || to === undefined) return undefined;
  return {
    address,
    carrier,
    window: { from: window!.from as string, to: window!.to as string },
  };
}

/**
 * Checks the shape every order shares, and the inventory and delivery fields
 * when they are present, whatever the type. Other kinds (`return`, unknown
 * kinds) are valid raw orders: the producers skip them, they are not wrong.
 */
export function validateRawOrder(input: unknown): ValidationResult<RawOrder> {
  const c = new Checker();
  const order = checkRawOrder(c, input);
  return order === undefined || c.problems.length > 0
    ? { ok: false, problems: c.problems }
    : { ok: true, order };
}

function checkRawOrder(c: Checker, input: unknown): RawOrder | undefined {
  if (!isObject(input)) {
    c.add("", `must be a JSON object, got ${kindOf(input)}`);
    return undefined;
  }
  const orderId = c.string(input.orderId, "orderId", {
    max: ORDER_LIMITS.maxIdLength,
    pattern: ORDER_ID,
    expected: "may contain only letters, digits, '.', '_', ':' and '-'",
  });
  const type = c.string(input.type, "type", {
    max: MAX_TYPE_LENGTH,
    pattern: ORDER_TYPE,
    expected: "must be a lowercase kind such as inventory or delivery",
  });
  const customerId = c.string(input.customerId, "customerId", { max: ORDER_LIMITS.maxIdLength });
  const customerEmail = c.string(input.customerEmail, "customerEmail", {
    max: MAX_EMAIL_LENGTH,
    required: false,
    pattern: EMAIL,
    expected: "must be an email address such as ada@example.com",
  });
  const items = checkItems(c, input.items);
  const total = input.total === undefined ? undefined : c.price(input.total, "total");
  const currency = c.string(input.currency, "currency", {
    max: 3,
    required: false,
    pattern: CURRENCY,
    expected: "must be an ISO 4217 code of 3 capital letters, such as EUR",
  });
  const createdAtMs = c.dateTime(input.createdAt, "createdAt");
  const movement = input.movement === undefined
    ? undefined
    : c.oneOf<Movement>(input.movement, "movement", MOVEMENTS);
  const delivery = input.delivery === undefined
    ? undefined
    : checkDelivery(c, input.delivery, createdAtMs);

  if (total !== undefined && items !== undefined) {
    const sum = orderTotal(items);
    if (Math.abs(total - sum) > ORDER_LIMITS.totalTolerance + 1e-9) {
      // The value last, after "got": the rule's text is the same for every order (DLQ grouping).
      c.add(
        "total",
        `must equal the sum of the items, got ${total} (the items sum to ${sum.toFixed(2)})`,
      );
    }
  }
  if (c.problems.length > 0) return undefined;

  const order: RawOrder = {
    orderId: orderId!,
    type: type!,
    customerId: customerId!,
    items: items!,
    createdAt: input.createdAt as string,
  };
  if (customerEmail !== undefined) order.customerEmail = customerEmail;
  if (total !== undefined) order.total = total;
  if (currency !== undefined) order.currency = currency;
  if (movement !== undefined) order.movement = movement;
  if (delivery !== undefined) order.delivery = delivery;
  return order;
}

/** A problem when the order is not of the `expected` type (and its type is readable). */
function checkTypeIs(c: Checker, input: unknown, expected: string): void {
  const type = isObject(input) ? input.type : undefined;
  if (typeof type === "string" && type !== expected) {
    c.add("type", `must be ${JSON.stringify(expected)}, got ${show(type)}`);
  }
}

/** A raw order of type `inventory`: the common shape, `movement` (if any) one of reserve, restock, release. */
export function validateInventoryOrder(input: unknown): ValidationResult<RawInventoryOrder> {
  const c = new Checker();
  const order = checkRawOrder(c, input);
  checkTypeIs(c, input, "inventory");
  return order === undefined || c.problems.length > 0
    ? { ok: false, problems: c.problems }
    : { ok: true, order: order as RawInventoryOrder };
}

/** A raw order of type `delivery`: the common shape and a complete `delivery` block. */
export function validateDeliveryOrder(input: unknown): ValidationResult<RawDeliveryOrder> {
  const c = new Checker();
  const order = checkRawOrder(c, input);
  checkTypeIs(c, input, "delivery");
  if (isObject(input) && input.delivery === undefined) {
    c.add("delivery", "is required for delivery orders");
  }
  return order === undefined || c.problems.length > 0
    ? { ok: false, problems: c.problems }
    : { ok: true, order: order as RawDeliveryOrder };
}

/**
 * Validates `input` as an order of `type`: the inventory or delivery rules
 * for those types, the common shape (and a matching `type`) for any other.
 */
export function validateForType(input: unknown, type: string): ValidationResult<RawOrder> {
  if (type === "inventory") return validateInventoryOrder(input);
  if (type === "delivery") return validateDeliveryOrder(input);
  const c = new Checker();
  const order = checkRawOrder(c, input);
  checkTypeIs(c, input, type);
  return order === undefined || c.problems.length > 0
    ? { ok: false, problems: c.problems }
    : { ok: true, order };
}

/**
 * Validates `input` by its own `type`: what intake uses, so that a delivery
 * order without an address is refused at the door, not dead-lettered later.
 */
export function validateOrder(input: unknown): ValidationResult<RawOrder> {
  const type = isObject(input) ? input.type : undefined;
  return typeof type === "string" ? validateForType(input, type) : validateRawOrder(input);
}

/**
 * Parses one order from JSON text and validates it, by `type` when given,
 * else by its own type. Malformed JSON is a problem at path "".
 */
export function parseOrderJson(text: string, type?: string): ValidationResult<RawOrder> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      problems: [{ path: "", message: `malformed JSON: ${(err as Error).message}` }],
    };
  }
  return type === undefined ? validateOrder(input) : validateForType(input, type);
}
