/**
 * Dead letters on a test's DLQ, written as the pipeline writes them
 * (shared/retry/dead_letter.ts `deadLetter`, in one transaction, so the topic ends with a
 * control marker a reader must not hang on): the seeds of the replayer's
 * and the dashboard's tests, with the reasons the router and the validator
 * themselves give ({@linkcode notJson}, {@linkcode badQuantity}).
 *
 * @example
 * ```ts
 * import { writeDeadLetters } from "./dead_letters.ts";
 * // await writeDeadLetters(kafka, "t-dlq", [{
 * //   partition: 0, originalTopic: "t-orders", key: "ord-1", value: "{bad",
 * //   failure: { errorClass: "unparseable", reason: "not JSON", stage: "router" },
 * //   failedAt: new Date(),
 * // }]);
 * ```
 * @module
 */
import assert from "node:assert/strict";
import { deadLetter, type Failure } from "../shared/retry/dead_letter.ts";
import { formatProblems, validateForType } from "../shared/orders/validate.ts";
import { type TestKafka, toProduce, transactionalProducer } from "./test_kafka.ts";

/** One dead letter; the failed record's offset on its original topic is its index. */
export interface DeadLetterSeed {
  /** Its partition of the DLQ. */
  partition: number;
  originalTopic: string;
  key: string;
  /** JSON text (or any text), or bytes such as Confluent-framed Avro. */
  value: string | Uint8Array;
  failure: Failure;
  failedAt: Date;
  /** Where a replay goes, as the retry path records it after `attempts`. */
  replayTopic?: string;
  attempts?: number;
  /** More headers, beside the envelope. */
  headers?: Record<string, string>;
}

/** Writes `seeds` to `dlqTopic` in one committed transaction. */
export async function writeDeadLetters(
  kafka: TestKafka,
  dlqTopic: string,
  seeds: readonly DeadLetterSeed[],
): Promise<void> {
  // The test's own producer, not the replayer's.
  const producer = await transactionalProducer(kafka, "dlq-seed");
  try {
    const txn = await producer.beginTransaction();
    for (const [i, s] of seeds.entries()) {
      const msg = deadLetter(
        {
          topic: s.originalTopic,
          partition: 0,
          offset: String(i),
          key: s.key,
          value: typeof s.value === "string" ? new TextEncoder().encode(s.value) : s.value,
        },
        s.failure,
        s.failedAt,
        s.replayTopic
          ? { attempts: s.attempts ?? 1, firstFailedAt: s.failedAt, replayTopic: s.replayTopic }
          : undefined,
      );
      await txn.send({
        messages: toProduce(dlqTopic, [{
          partition: s.partition,
          key: msg.key,
          value: msg.value,
          headers: { ...msg.headers, ...s.headers },
        }]),
      });
    }
    await txn.commit();
  } finally {
    await producer.close();
  }
}

/** The router's failure for bytes that are no JSON: `not JSON: <the parser's words>`. */
export function notJson(value: string): Failure {
  try {
    JSON.parse(value);
  } catch (err) {
    return {
      errorClass: "unparseable",
      reason: `not JSON: ${(err as Error).message}`,
      stage: "router",
    };
  }
  throw new Error(`${value} is JSON`);
}

/** What `list` and the dashboard show for a quantity the validator refuses. */
export const QUANTITY_RULE = "items[].quantity: must be a positive whole number";

/**
 * An inventory order whose line `line` (the others good) has `quantity`,
 * and the inventory producer's failure for it: the validator's own reason.
 */
export function badQuantity(
  orderId: string,
  line: number,
  quantity: number,
): { value: string; failure: Failure } {
  const order = {
    orderId,
    type: "inventory",
    customerId: "cust-1",
    items: Array.from({ length: line + 1 }, (_, i) => ({
      sku: `SKU-${i + 1}`,
      quantity: i === line ? quantity : 1,
      unitPrice: 2.5,
    })),
    createdAt: "2026-01-01T00:00:00Z",
  };
  const result = validateForType(order, "inventory");
  assert.ok(!result.ok, "the order is invalid");
  return {
    value: JSON.stringify(order),
    failure: {
      errorClass: "validation",
      reason: formatProblems(result.problems),
      stage: "inventory_orders_producer",
    },
  };
}
