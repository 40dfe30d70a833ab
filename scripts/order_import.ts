/**
 * NDJSON import into the raw `orders` topic, from a file or stdin: one order
 * per line, blank lines skipped, every line validated. Invalid or malformed
 * lines are not sent and not dropped silently: each is logged on stderr
 * (line number and problems) and counted, and the import exits 1 at the end
 * if any was; the valid lines are still sent, in batches. Nothing is filled
 * in (unlike the gateway): every line needs its `orderId` and `createdAt`.
 *
 * ```sh
 * deno task order-import --help
 * ```
 *
 * (Its permissions, flags and ports: docs/configuration.md, from its row
 * in scripts/services.ts.)
 *
 * `--allow-read` is unscoped because the file to import is the user's to
 * name (reading stdin needs none); `--allow-net` is unscoped because brokers
 * hand out their own addresses.
 *
 * Prints its totals as one JSON line on stdout. Exit 0 when every line was
 * sent (or, with `--dry-run`, valid); 1 when a line was rejected, a send
 * failed or Kafka was unreachable; 2 for a bad flag.
 *
 * @module
 */
import { createOrderIntake } from "../shared/intake/intake.ts";
import { kafkaConnectionFrom } from "../shared/kafka/connection.ts";
import { createLogger } from "../shared/platform/log.ts";
import { importOrders, readLines } from "../shared/intake/order_import.ts";
import { connectOrSay } from "../shared/kafka/connect.ts";
import { shutdownSignal } from "../shared/platform/shutdown.ts";
import { importConfig } from "../shared/intake/import_config.ts";

async function main(): Promise<number> {
  const cfg = importConfig.load();
  const log = createLogger({ name: "order-import", level: cfg.logLevel });
  const connection = cfg.dryRun
    ? undefined
    : importConfig.orExit(() => kafkaConnectionFrom(cfg, { clientId: "order-import" }));
  let input: ReadableStream<Uint8Array>;
  try {
    input = cfg.file === "-" ? Deno.stdin.readable : (await Deno.open(cfg.file)).readable;
  } catch (err) {
    log.error("cannot open the file to import", { file: cfg.file, error: (err as Error).message });
    return 1;
  }
  const intake = connection && createOrderIntake({
    connection,
    topic: cfg.topic,
    log,
    source: "import",
    maxBatch: cfg.batchSize,
    createTopic: true,
  });
  const shutdown = shutdownSignal(log);
  try {
    if (intake && !(await connectOrSay(() => intake.connect(), connection!, log))) {
      await intake.close();
      return 1;
    }
    const stats = await importOrders({
      lines: readLines(input),
      sink: intake,
      log,
      batchSize: cfg.batchSize,
      signal: shutdown.signal,
    });
    await intake?.close();
    const { error, ...totals } = stats;
    console.log(
      JSON.stringify({ file: cfg.file, topic: intake ? cfg.topic : undefined, ...totals }),
    );
    if (error) {
      log.error("stopped: a send failed", { error: error.message, ...totals });
      return 1;
    }
    if (stats.rejected > 0) {
      log.error("some lines were rejected (logged above with their problems)", totals);
      return 1;
    }
    log.info(stats.dryRun ? "every line is valid" : "import done", totals);
    return stats.interrupted ? 130 : 0;
  } finally {
    shutdown.dispose();
  }
}

if (import.meta.main) Deno.exit(await main());
