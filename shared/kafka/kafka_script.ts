/**
 * What every Kafka script does first and last, as one piece: parse its
 * flags (`--help` and a bad flag end it there, exit 0 and 2), make its
 * logger at `--log-level`, and its Kafka connection from the `kafkaFlags`;
 * then, once everything runs, wait for the signal that stops it.
 *
 * @example
 * ```ts
 * import { defineConfig } from "../platform/config.ts";
 * import { kafkaFlags } from "./connection.ts";
 * import { logLevelFlag } from "../platform/log.ts";
 * import { shutdownSignal, untilAborted } from "../platform/shutdown.ts";
 * import { startKafkaScript } from "./kafka_script.ts";
 * const config = defineConfig({
 *   name: "hello",
 *   summary: "Says hello to Kafka.",
 *   flags: { logLevel: logLevelFlag, ...kafkaFlags },
 * });
 * const { log, connection } = startKafkaScript(config, { name: "hello" });
 * const shutdown = shutdownSignal(log);
 * log.info("running", { brokers: connection.brokers });
 * await untilAborted(shutdown.signal);
 * ```
 * @module
 */
import { type KafkaConnection, kafkaConnectionFrom } from "./connection.ts";
import { createLogger, type Logger, type LogLevel } from "../platform/log.ts";

/** The loading half of a config definition (shared/platform/config.ts). */
interface LoadableConfig<C> {
  load(): C;
  orExit<T>(check: () => T): T;
}

/** A script's parsed flags, its logger and its Kafka connection. */
export interface KafkaScriptStart<C> {
  cfg: C;
  log: Logger;
  connection: KafkaConnection;
}

/**
 * Loads `config` and makes the logger and Kafka connection named `name`
 * (also its Kafka client id); `brokers` are used when none are given.
 */
export function startKafkaScript<
  C extends Parameters<typeof kafkaConnectionFrom>[0] & { logLevel: LogLevel },
>(
  config: LoadableConfig<C>,
  options: { name: string; brokers?: string[] },
): KafkaScriptStart<C> {
  const cfg = config.load();
  const log = createLogger({ name: options.name, level: cfg.logLevel });
  const connection = config.orExit(() =>
    kafkaConnectionFrom(cfg, { clientId: options.name, brokers: options.brokers })
  );
  return { cfg, log, connection };
}
