/**
 * The one error the local Kafka tools throw: a missing prerequisite or a
 * failed step, said in one sentence, with the log file to read when there
 * is one.
 *
 * @example
 * ```ts
 * import { LocalKafkaError } from "./local_kafka_error.ts";
 * const err = new LocalKafkaError("broker exited", "/runs/x/broker.log");
 * console.log(err.message); // broker exited (log: /runs/x/broker.log)
 * ```
 * @module
 */

/** A missing prerequisite or a failed step, said in one sentence. */
export class LocalKafkaError extends Error {
  constructor(message: string, readonly logFile?: string) {
    super(logFile ? `${message} (log: ${logFile})` : message);
    this.name = "LocalKafkaError";
  }
}
