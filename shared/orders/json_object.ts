/**
 * Reading a record value that must be a JSON object with some non-empty
 * string fields: the first step of every JSON topic's parser. A value that
 * is not one gets the reason that a dead letter or a skip counter carries.
 *
 * @example
 * ```ts
 * import { parseJsonObject } from "./json_object.ts";
 * parseJsonObject('{"orderId":"o-1"}', ["orderId"]); // { orderId: "o-1" }
 * parseJsonObject('{"orderId":""}', ["orderId"]); // { invalid: "orderId: missing or not a string" }
 * ```
 * @module
 */

/** A record value as JSON, or why it is not an object with `strings` as non-empty strings. Pure. */
export function parseJsonObject<T extends object>(
  value: Uint8Array | string | null | undefined,
  strings: readonly (keyof T & string)[],
): Partial<T> | { invalid: string } {
  if (value === null || value === undefined) return { invalid: "empty record (no value)" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === "string" ? value : new TextDecoder().decode(value));
  } catch (err) {
    return { invalid: `not JSON: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { invalid: "not a JSON object" };
  }
  const object = parsed as Record<string, unknown>;
  for (const field of strings) {
    if (typeof object[field] !== "string" || object[field] === "") {
      return { invalid: `${field}: missing or not a string` };
    }
  }
  return object as Partial<T>;
}
