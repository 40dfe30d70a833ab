/**
 * The rule a dead letter broke, read from its `dlq.reason`: what `list` and
 * the dashboard group by, so that a hundred orders with a bad quantity make
 * one group, not one per value.
 *
 * A reason is the validator's text (shared/orders/validate.ts
 * `formatProblems`; the consumers' shared/effects/ write the same shape):
 * problems joined by `; `, each `<field>: <rule>` with the offending value
 * after a final `, got <value>`. This module reads that text back: array
 * indexes are dropped from the field (`items[3].quantity` is
 * `items[].quantity`) and the value is taken out of the rule (the text
 * after `, got`; without one, quoted strings), so every record that broke
 * the same rule on the same field has the same key, and its values become
 * samples. Reasons of another shape (a parse error, a database error) are
 * one rule: their text before the first `: ` (the rest is the value). The
 * reason text is the one record of the failure, so records that older
 * versions dead-lettered group the same way.
 * Pure.
 *
 * @example
 * ```ts
 * import { failureRules, ruleKey } from "./failure_rule.ts";
 * failureRules("items[3].quantity: must be a positive whole number, got -1");
 * // [{ field: "items[].quantity", rule: "must be a positive whole number", values: ["-1"] }]
 * ruleKey("items[0].quantity: must be a positive whole number, got 0");
 * // "items[].quantity: must be a positive whole number"
 * ruleKey("not JSON: Unexpected token 'o'"); // "not JSON"
 * ```
 * @module
 */

/** One broken rule of a reason: the field (indexes dropped; "" for none), the rule, its values. */
export interface FailureRule {
  field: string;
  rule: string;
  /** The values the reason names for it (shown as the validator shows them). */
  values: string[];
}

/** The validator's separator of problems (`formatProblems`). */
const PROBLEM_SEPARATOR = "; ";
/** A field path as the validator writes it: `orderId`, `items[2].quantity`, `delivery.window.to`. */
const FIELD_PATH = /^([A-Za-z_$][\w$]*(?:\[\d+\])?(?:\.[A-Za-z_$][\w$]*(?:\[\d+\])?)*): (.+)$/s;
/** The value the validator names last: `, got <value>`. */
const GOT = /, got (.+)$/s;
/** A JSON-quoted string inside a rule, such as an unknown type's name. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;
/** What a quoted value becomes in the rule. */
export const MASK = '"…"';

/** `items[3].quantity` → `items[].quantity`. Pure. */
export function normaliseField(path: string): string {
  return path.replace(/\[\d+\]/g, "[]");
}

/** The rule of one problem, its values taken out. */
function splitValues(text: string): { rule: string; values: string[] } {
  const values: string[] = [];
  let rule = text;
  const got = GOT.exec(rule);
  if (got) {
    // The value is named: what is quoted before it is the rule's (`must be "inventory"`).
    values.push(got[1]);
    rule = rule.slice(0, got.index);
  } else {
    rule = rule.replace(QUOTED, (quoted) => {
      values.push(quoted);
      return MASK;
    });
  }
  return { rule: rule.trim(), values };
}

function parseProblem(text: string): FailureRule {
  const m = FIELD_PATH.exec(text);
  if (m) return { field: normaliseField(m[1]), ...splitValues(m[2]) };
  // No field: a reason such as "not JSON: <the parser's words>" or a class of error.
  const colon = text.indexOf(": ");
  if (colon > 0) return { field: "", rule: text.slice(0, colon), values: [text.slice(colon + 2)] };
  return { field: "", ...splitValues(text) };
}

/**
 * The broken rules of `reason`, in its order, one per field and rule
 * (`items[0].quantity` and `items[1].quantity` breaking one rule are one,
 * with both values). Pure.
 */
export function failureRules(reason: string): FailureRule[] {
  const rules = new Map<string, FailureRule>();
  // Only the validator's list is split: other texts may hold a "; " of their own.
  const parts = FIELD_PATH.test(reason.trim()) ? reason.split(PROBLEM_SEPARATOR) : [reason];
  for (const part of parts) {
    const text = part.trim();
    if (text === "") continue;
    const parsed = parseProblem(text);
    const key = formatRule(parsed);
    const seen = rules.get(key);
    if (seen) seen.values.push(...parsed.values);
    else rules.set(key, parsed);
  }
  return [...rules.values()];
}

/** `<field>: <rule>`, or the rule alone without a field. Pure. */
export function formatRule(rule: Pick<FailureRule, "field" | "rule">): string {
  return rule.field === "" ? rule.rule : `${rule.field}: ${rule.rule}`;
}

/** The group key of `reason`: its rules, `; `-joined, without values. Pure. */
export function ruleKey(reason: string): string {
  const rules = failureRules(reason);
  return rules.length === 0 ? reason : rules.map(formatRule).join(PROBLEM_SEPARATOR);
}

/**
 * The values of `reason` as one sample: a single rule's values as they
 * are, several rules' each after its field. Undefined when it names none.
 * Pure.
 */
export function sampleOf(reason: string): string | undefined {
  const rules = failureRules(reason).filter((r) => r.values.length > 0);
  if (rules.length === 0) return undefined;
  if (rules.length === 1) return rules[0].values.join(", ");
  return rules.map((r) => `${r.field || r.rule}=${r.values.join(", ")}`).join(PROBLEM_SEPARATOR);
}
