/**
 * The flags of scripts/notifier.ts (`--help` lists them), importable
 * without running it: scripts/services.ts derives the script's
 * `--allow-env` and its documentation from them.
 * @module
 */
import { defineConfig } from "../platform/config.ts";
import { observabilityFlags } from "../platform/metrics.ts";
import { kafkaFlags } from "../kafka/connection.ts";
import { logLevelFlag } from "../platform/log.ts";
import { TOPICS } from "../kafka/topics.ts";
import { backoffFlags } from "../retry/backoff.ts";
import { exactlyOnceLoopFlags } from "../kafka/exactly_once/loop_script.ts";
import { CUSTOMER_FACING_STATUSES } from "./notification.ts";

/** The notifier's group, and the base of its retry topics and DLQ (scripts/topology.ts). */
export const NOTIFIER_GROUP_ID = "order-notifier";
export const NOTIFIER_RETRY_BASE = "notifications";

export const notifierConfig = defineConfig({
  name: "notifier",
  summary: "Sends customers one email per customer-facing status change, over SMTP, exactly once.",
  flags: {
    ...kafkaFlags,
    databaseUrl: {
      type: "string",
      env: "DATABASE_URL",
      description: "postgres://… for PostgreSQL; sqlite:PATH or unset for embedded SQLite " +
        "(the ledger of sent messages and each order's address)",
    },
    ordersTopic: {
      type: "string",
      env: "NOTIFIER_ORDERS_TOPIC",
      default: TOPICS.orders.name,
      description: "raw orders, read for each order's customerEmail",
    },
    statusTopic: {
      type: "string",
      env: "NOTIFIER_STATUS_TOPIC",
      default: TOPICS.orderStatus.name,
      description: "order status events, each customer-facing one is told",
    },
    statuses: {
      type: "list",
      env: "NOTIFIER_STATUSES",
      default: [...CUSTOMER_FACING_STATUSES],
      description: "the statuses that get a message",
    },
    retryBase: {
      type: "string",
      env: "NOTIFIER_RETRY_BASE",
      default: NOTIFIER_RETRY_BASE,
      description: "failed sends go to <base>-retry-<n>, then <base>-dlq",
    },
    smtpHost: {
      type: "string",
      env: "SMTP_HOST",
      default: "127.0.0.1",
      description: "the SMTP relay messages are handed to",
    },
    smtpPort: {
      type: "number",
      integer: true,
      min: 1,
      max: 65535,
      env: "SMTP_PORT",
      default: 25,
      description: "its port (the dev sink, deno task smtp-sink, listens on 2525)",
    },
    smtpHeloName: {
      type: "string",
      env: "SMTP_HELO_NAME",
      default: "notifier.localhost",
      description: "the name given in EHLO",
    },
    smtpTimeoutMs: {
      type: "number",
      integer: true,
      min: 100,
      env: "SMTP_TIMEOUT_MS",
      default: 30_000,
      description: "longest wait for one SMTP reply",
    },
    mailFrom: {
      type: "string",
      env: "NOTIFIER_MAIL_FROM",
      default: "orders@shop.localhost",
      description: "sender address of every message",
    },
    messageIdDomain: {
      type: "string",
      env: "NOTIFIER_MESSAGE_ID_DOMAIN",
      default: "notifier.localhost",
      description: "right-hand side of each Message-ID (<event id>@<domain>)",
    },
    ...backoffFlags,
    ...exactlyOnceLoopFlags({
      envPrefix: "NOTIFIER",
      groupId: NOTIFIER_GROUP_ID,
      groupDescription: "consumer group; instances in one group share partitions",
      transactionDescription: "most records per Kafka transaction (offsets and hand-offs)",
    }),
    ...observabilityFlags(9112),
    logLevel: logLevelFlag,
  },
});
