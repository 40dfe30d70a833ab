/**
 * Dead letters on a test's DLQ, written as the pipeline writes them
 * (shared/retry/dead_letter.ts `deadLetter`, in one transaction, so the topic ends with a
 * control marker a reader must not hang on): the seeds of the replayer's
 * and the dashboard's tests.
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
import { deadLetter, type Failure } from "../shared/retry/dead_letter.ts";
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
