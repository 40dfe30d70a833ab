/**
 * The notifier (group `order-notifier`): tells customers of their orders'
 * customer-facing status changes (reserved, refused, dispatched, delivered,
 * failed), one email per status event, over SMTP. It reads each order's
 * `customerEmail` from the raw `orders` topic into the store, and the events
 * from `order_status`; a ledger in the store (one row per event id, written
 * as soon as the SMTP server accepts the message) makes a re-read event send
 * nothing. What this guarantees, and its one window, is said in
 * shared/notify/notifier_work.ts; the message itself in
 * shared/notify/notification.ts.
 *
 * Failures go through the shared retry topics (`notifications-retry-<n>`),
 * and a bad address (an SMTP 5xx) to `notifications-dlq` with the server's
 * reply as `dlq.reason`.
 *
 *   deno task smtp-sink &      # a local SMTP sink on :2525 (scripts/dev/smtp_sink.ts)
 *   deno task notifier --smtp-port 2525
 *
 * (Its permissions, flags and ports: docs/configuration.md, from its row
 * in scripts/services.ts.)
 * @module
 */
import { notifierConfig } from "../shared/notify/config.ts";
import {
  notifierMetrics,
  type NotifierTotals,
  notifierWork,
} from "../shared/notify/notifier_work.ts";
import { startKafkaScript } from "../shared/kafka/kafka_script.ts";
import {
  loopSettingsFrom,
  runLoopScript,
  transactionalIdPrefixOf,
} from "../shared/kafka/exactly_once/loop_script.ts";
import { runExactlyOnceLoop } from "../shared/kafka/exactly_once/loop.ts";
import { consumerLoopMetrics } from "../shared/effects/effect_consumer.ts";
import { renamed, TOPICS } from "../shared/kafka/topics.ts";
import { backoffFrom, dlqTopicName, retryTopicsFor } from "../shared/retry/backoff.ts";
import { createRetryStage } from "../shared/retry/retry_stage.ts";
import { createFailureInjector } from "../shared/retry/failure_injection.ts";
import { openStore } from "../shared/store/open_store.ts";
import { checkSmtpServer } from "../shared/notify/smtp_client.ts";
import { StoreError } from "../shared/store/store.ts";

async function main(): Promise<number> {
  const { cfg, log, connection } = startKafkaScript(notifierConfig, {
    name: "notifier",
    brokers: ["127.0.0.1:9092"],
  });
  const backoff = notifierConfig.orExit(() => backoffFrom(cfg));
  const retryTopics = retryTopicsFor(cfg.retryBase, backoff);
  const dlqTopic = dlqTopicName(cfg.retryBase);
  const sources = [cfg.ordersTopic, cfg.statusTopic];
  return await runLoopScript({
    script: "notifier",
    cfg,
    log,
    connection,
    // The sink's 451s and 550s are the notifier's real failures; nothing is injected.
    injector: createFailureInjector({ poisonOrders: [], flakyOrders: [], failureRate: 0 }),
    topics: [
      renamed(TOPICS.orders, cfg.ordersTopic),
      renamed(TOPICS.orderStatus, cfg.statusTopic),
      ...retryTopics.map((name) => renamed(TOPICS.orderStatus, name)),
      renamed(TOPICS.ordersDlq, dlqTopic),
    ],
    access: { reads: [...sources, ...retryTopics], writes: [...retryTopics, dlqTopic] },
    known: [StoreError],
    async start(metrics) {
      const smtp = {
        host: cfg.smtpHost,
        port: cfg.smtpPort,
        heloName: cfg.smtpHeloName,
        timeoutMs: cfg.smtpTimeoutMs,
      };
      // A relay that is down may come back: said now, and meanwhile sends wait in the retry topics.
      const smtpDown = await checkSmtpServer(smtp);
      if (smtpDown) {
        log.warn(
          `the SMTP relay ${smtp.host}:${smtp.port} (--smtp-host, --smtp-port) does not answer: ${smtpDown}`,
        );
      }
      const store = await openStore({ url: cfg.databaseUrl, log });
      const retry = createRetryStage({
        // A replayed dead letter goes to the notifier's own first retry topic, not back
        // onto order_status, where every other reader would see the event again.
        sources: [{
          topic: cfg.statusTopic,
          retryBase: cfg.retryBase,
          dlqTopic,
          replayTopic: retryTopics[0],
        }],
        policy: backoff,
        stage: "notifier",
        log,
        metrics,
      });
      const totals: NotifierTotals = {
        consumed: 0,
        transactions: 0,
        aborts: 0,
        sent: 0,
        alreadySent: 0,
        skipped: 0,
        retried: 0,
        deadLettered: 0,
        recipients: 0,
      };
      const work = notifierWork({
        store,
        smtp,
        from: cfg.mailFrom,
        messageIdDomain: cfg.messageIdDomain,
        statuses: cfg.statuses,
        ordersTopic: cfg.ordersTopic,
        retry,
        log,
        totals,
        metrics: notifierMetrics(metrics),
      });
      log.info("notifying", {
        smtp: `${cfg.smtpHost}:${cfg.smtpPort}`,
        statuses: cfg.statuses,
        store: store.location,
      });
      return {
        run: (signal) =>
          runExactlyOnceLoop({
            connection,
            log,
            metrics: consumerLoopMetrics(metrics),
            sourceTopics: sources,
            retry,
            groupId: cfg.groupId,
            transactionalIdPrefix: transactionalIdPrefixOf(cfg),
            settings: loopSettingsFrom(cfg),
            totals,
            work,
          }, signal),
        close: () => store.close(),
      };
    },
  });
}

if (import.meta.main) Deno.exit(await main());
