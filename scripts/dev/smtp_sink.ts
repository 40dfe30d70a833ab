/**
 * The local SMTP sink (shared/dev/smtp_sink.ts) as a script, for the demo
 * and for trying the notifier by hand: every accepted message and every
 * refusal is appended to `--file` as one JSON line.
 *
 *   deno task smtp-sink --port 2525 --file .cache/mail.jsonl
 *   tail -f .cache/mail.jsonl
 *
 * Recipients at a `.invalid` domain are refused (550); `--tempfail a@b.c`
 * answers 451 to that recipient's first `--tempfail-count` attempts.
 * @module
 */
import { defineConfig } from "../../shared/platform/config.ts";
import { createLogger, logLevelFlag } from "../../shared/platform/log.ts";
import { shutdownSignal, untilAborted } from "../../shared/platform/shutdown.ts";
import { startSmtpSink } from "../../shared/dev/smtp_sink.ts";

export const smtpSinkConfig = defineConfig({
  name: "smtp_sink",
  summary: "Local SMTP sink: accepts mail and appends each message to a JSONL file.",
  flags: {
    host: {
      type: "string",
      env: "SMTP_SINK_HOST",
      default: "127.0.0.1",
      description: "address to listen on",
    },
    port: {
      type: "number",
      integer: true,
      min: 0,
      max: 65535,
      env: "SMTP_SINK_PORT",
      default: 2525,
      description: "SMTP port (0: any free port, said in the log)",
    },
    file: {
      type: "string",
      env: "SMTP_SINK_FILE",
      default: ".cache/smtp_sink/mail.jsonl",
      description: "JSONL file every accepted message and refusal is appended to",
    },
    tempfail: {
      type: "list",
      env: "SMTP_SINK_TEMPFAIL",
      default: [],
      description: "recipients answered 451 (try later) at first",
    },
    tempfailCount: {
      type: "number",
      integer: true,
      min: 0,
      env: "SMTP_SINK_TEMPFAIL_COUNT",
      default: 2,
      description: "how many of a --tempfail recipient's attempts are answered 451",
    },
    logLevel: logLevelFlag,
  },
});

if (import.meta.main) {
  const cfg = smtpSinkConfig.load();
  const log = createLogger({ name: "smtp-sink", level: cfg.logLevel });
  const dir = cfg.file.includes("/") ? cfg.file.slice(0, cfg.file.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const shutdown = shutdownSignal(log);
  const sink = startSmtpSink({
    hostname: cfg.host,
    port: cfg.port,
    file: cfg.file,
    tempfail: cfg.tempfail,
    tempfailCount: cfg.tempfailCount,
  });
  log.info("smtp sink listening", { host: cfg.host, port: sink.port, file: cfg.file });
  await untilAborted(shutdown.signal);
  await sink.close();
  shutdown.dispose();
  log.info("stopped");
}
