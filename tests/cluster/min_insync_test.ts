/**
 * A partition whose in-sync replicas drop below min.insync.replicas=2 (one
 * of its two replicas' node frozen with SIGSTOP until it is looked at): the
 * routing producer's transactions cannot commit there, so it waits and
 * retries; it loses nothing, duplicates nothing, and resumes by itself when
 * the node returns. The target topic has two replicas (on two nodes) so
 * that one node's death drops its ISR to 1 while the three-voter quorum,
 * and so the rest of the cluster, stays up. Counted with Kafka's own Java
 * consumer (read_committed), not the product's client.
 */
import assert from "node:assert/strict";
import { kafkaPrincipals } from "../../scripts/services.ts";
import { aclBindings, applyAcls, removeAcls } from "../../shared/kafka/acls.ts";
import { freePort } from "../../shared/dev/broker/local_kafka.ts";
import { DEFAULT_BACKOFF, retryTopicsFor } from "../../shared/retry/backoff.ts";
import { topicConfigEntries, TOPICS } from "../../shared/kafka/topics.ts";
import { topicOffsets } from "../../shared/kafka/admin.ts";
import { createCommittedReader } from "../../shared/verify/committed_reader.ts";
import { createAdmin } from "../../shared/kafka/client.ts";
import { integration, uniqueName, waitFor } from "../harness.ts";
import {
  produceRaw,
  rawOrders,
  type ScriptProcess,
  SERVICE_TEST_FLAGS,
  startScript,
} from "../pipeline.ts";
import {
  adminKafka,
  clusterAdmin,
  clusterBrokers,
  clusterManifest,
  connectionAs,
  nodePid,
  principalEnv,
} from "./cluster_harness.ts";

const PRINCIPAL = "inventory_orders_producer";

Deno.test(
  "min.insync.replicas: with one of two replicas gone the router waits, then resumes exactly once",
  integration,
  async () => {
    const name = uniqueName("isr");
    const source = `${name}-orders`;
    const target = `${name}-inventory`;
    const dlq = `${name}-dlq`;
    const retries = retryTopicsFor(`${source}-inventory`, DEFAULT_BACKOFF);
    const group = `${name}-router`;
    const [replicaA, replicaB] = [1, 2];
    const admin = clusterAdmin();
    // This test's own topics, and the router principal's ACLs on them, derived as the catalog's are.
    const access = {
      ...kafkaPrincipals().find((p) => p.principal === PRINCIPAL)!,
      reads: [source, ...retries],
      writes: [target, dlq, ...retries],
      groups: [group],
      transactionalIdPrefixes: [`${group}-`],
    };
    const bindings = aclBindings(access);
    const durable = [{ name: "min.insync.replicas", value: "2" }];
    await admin.createTopics({
      topics: [source, dlq, ...retries],
      partitions: 3,
      replicas: 3,
      configs: [...topicConfigEntries(TOPICS.orders), ...durable],
    });
    await admin.createTopics({
      topics: [target],
      assignments: [0, 1, 2].map((partition) => ({ partition, brokers: [replicaA, replicaB] })),
      configs: [...topicConfigEntries(TOPICS.inventoryOrders), ...durable],
    });
    for (const topic of [source, dlq, ...retries, target]) {
      await waitFor(
        `${topic} served`,
        () => topicOffsets(admin, topic).then(() => true, () => false),
      );
    }
    await applyAcls(admin, bindings);

    const registryPort = freePort();
    const registry = startScript(
      "scripts/schema_registry.ts",
      ["--port", String(registryPort)],
      principalEnv("schema_registry"),
    );
    let router: ScriptProcess | undefined;
    let frozen: number | undefined;
    const reader = createCommittedReader({
      classpath: Deno.env.get("KAFKA_TOOLS_CLASSPATH")!,
      brokers: clusterBrokers(),
      topics: [target],
      propertiesFile: clusterManifest().adminPropertiesFile,
    });
    // Records per order id, found in each record's bytes (the Avro value carries it verbatim).
    const perOrder = new Map<string, number>();
    let orderIds: string[] = [];
    const routed = async () => {
      for (const r of await reader.readMore()) {
        const text = new TextDecoder("latin1").decode(r.value ?? new Uint8Array());
        // Longest first: "ord-11-1" is inside "ord-11-10".
        const id = orderIds.find((o) => text.includes(o)) ?? "?";
        perOrder.set(id, (perOrder.get(id) ?? 0) + 1);
      }
      return [...perOrder.values()].reduce((a, b) => a + b, 0);
    };
    try {
      await waitFor("the registry", () => /schema registry listening/.test(registry.output()), {
        timeoutMs: 120_000,
      });
      router = startScript("producers/inventory_orders_producer.ts", [
        "--registry-url",
        `http://127.0.0.1:${registryPort}`,
        "--source-topic",
        source,
        "--target-topic",
        target,
        "--dlq-topic",
        dlq,
        "--group-id",
        group,
        "--no-create-topics",
        ...SERVICE_TEST_FLAGS,
      ], principalEnv(PRINCIPAL));
      // One inventory order is one record per line on the target.
      const all = rawOrders(40, { seed: 11, invalidRate: 0, mix: { inventory: 1 } });
      orderIds = all.map((r) => r.key).sort((a, b) => b.length - a.length);
      const lines = (batch: typeof all) =>
        batch.reduce((n, r) => n + (JSON.parse(r.value).items as unknown[]).length, 0);
      const first = all.slice(0, 20), second = all.slice(20);
      const producer = adminKafka();
      await produceRaw(producer, source, first);
      await waitFor("the first orders routed", async () => (await routed()) === lines(first), {
        timeoutMs: 120_000,
        intervalMs: 1000,
      });

      // Replica B stops answering (SIGSTOP: frozen, so the cluster cannot restart it before we
      // have looked): its session expires and the target is left with one in-sync replica.
      frozen = nodePid(replicaB);
      Deno.kill(frozen, "SIGSTOP");
      // Asked of the live nodes only, briefly: a request to the frozen one would just hang.
      const frozenAddress = clusterManifest().nodes.find((n) => n.id === replicaB)!.address;
      const live = createAdmin({
        ...connectionAs("admin"),
        brokers: clusterBrokers().filter((b) => b !== frozenAddress),
        requestTimeoutMs: 5_000,
      });
      try {
        await waitFor("the target's ISR shrunk below 2", async () => {
          const { topics } = await live.metadata({ topics: [target], forceUpdate: true });
          return topics.get(target)!.partitions.every((p) => p.isr.length < 2);
        }, { timeoutMs: 90_000, intervalMs: 250 });
      } finally {
        await live.close();
      }
      const refusals = () =>
        router!.output().split("\n").filter((l) =>
          /NOT_ENOUGH_REPLICAS|not enough replicas|transaction aborted/i.test(l)
        ).length;
      const before = refusals();
      await produceRaw(producer, source, second);
      // The router tries, is refused (NOT_ENOUGH_REPLICAS) and retries, or aborts and tries again.
      await waitFor(
        "the router refused while the ISR is below 2",
        () => {
          if (refusals() > before) return true;
          if (/"level":"error"/.test(router!.output())) {
            throw new Error(router!.output().slice(-3000));
          }
          return false;
        },
        { timeoutMs: 90_000, intervalMs: 250 },
      ).catch((err) => {
        throw new Error(`${err.message}\n${router!.output().slice(-3000)}`);
      });
      // Meanwhile nothing more becomes visible, and the router stays up.
      const during = await routed();
      assert.equal(during, lines(first), "no record committed while the ISR is below 2");
      assert.equal(
        await Promise.race([router.status.then(() => "exited"), Promise.resolve("running")]),
        "running",
        `the router waits, it does not give up:\n${router.output().slice(-2000)}`,
      );

      // The node returns; the pipeline resumes by itself.
      Deno.kill(frozen, "SIGCONT");
      frozen = undefined;
      await waitFor(
        "every order routed after the node returned",
        async () => (await routed()) >= lines(all),
        { timeoutMs: 180_000, intervalMs: 1000 },
      ).catch((err) => {
        const seen = [...perOrder.values()].reduce((a, b) => a + b, 0);
        throw new Error(
          `${err.message} (${seen} of ${lines(all)} lines seen)\n${router!.output().slice(-3000)}`,
        );
      });
      // A later read finds nothing more: every order's lines are there once.
      assert.equal(await routed(), lines(all), "no duplicates after the retries");
      for (const r of all) {
        assert.equal(perOrder.get(r.key), (JSON.parse(r.value).items as unknown[]).length, r.key);
      }
      assert.equal(
        await Promise.race([router.status.then(() => "exited"), Promise.resolve("running")]),
        "running",
        "the router rode it out without a restart",
      );
    } finally {
      // Never leave a node frozen for the tests after this one.
      if (frozen !== undefined) Deno.kill(frozen, "SIGCONT");
      router?.kill("SIGTERM");
      registry.kill("SIGTERM");
      await Promise.all([router?.status, registry.status]);
      await removeAcls(admin, bindings).catch(() => {});
      await admin.deleteTopics({ topics: [source, target, dlq, ...retries] }).catch(() => {});
      await admin.close();
    }
  },
);
