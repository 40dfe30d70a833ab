/**
 * What the cluster tests share: the secured three-node cluster the test
 * runner started (its manifest: nodes and pids; its credentials), clients
 * as the administrator or as a script's principal, the environment that
 * makes a script connect as its principal, and node kills.
 *
 * The runner created every pipeline topic under its default name and
 * granted the catalog's ACLs (shared/dev/cluster_setup.ts), so these tests run
 * the scripts exactly as a user's secured deployment would: default names,
 * one principal each, nothing more than the table grants.
 * @module
 */
import type { ClusterManifest } from "../../shared/dev/broker/local_kafka.ts";
import { javaClientProperties, scriptKafkaEnv } from "../../shared/dev/broker/cluster_security.ts";
import type { TestKafka } from "../test_kafka.ts";
import { createAdmin, type KafkaAdmin } from "../../shared/kafka/client.ts";
import { type KafkaConnection } from "../../shared/kafka/connection.ts";
import { clusterNodes, type KilledNode } from "../../shared/verify/chaos.ts";

/** The manifest of the runner's cluster; fails with a sentence outside the cluster phase. */
export function clusterManifest(): ClusterManifest {
  const path = Deno.env.get("KAFKA_CLUSTER_MANIFEST");
  if (!path) {
    throw new Error(
      "KAFKA_CLUSTER_MANIFEST is not set: run these with `deno task test tests/cluster/` " +
        "(the runner starts the secured cluster)",
    );
  }
  return JSON.parse(Deno.readTextFileSync(path));
}

interface Credentials {
  admin: { username: string; password: string };
  users: Record<string, string>;
}

function credentials(): Credentials {
  return JSON.parse(Deno.readTextFileSync(clusterManifest().credentialsFile!));
}

/** The CA every node's certificate is signed by. */
export function caFile(): string {
  return clusterManifest().caFile!;
}

/** The cluster's bootstrap list. */
export function clusterBrokers(): string[] {
  return clusterManifest().bootstrap.split(",");
}

/** A connection as `principal` ("admin" for the administrator). */
export function connectionAs(principal: string): KafkaConnection {
  const c = credentials();
  const password = principal === c.admin.username ? c.admin.password : c.users[principal];
  if (!password) throw new Error(`no principal ${principal} on the test cluster`);
  return {
    brokers: clusterBrokers(),
    clientId: `test-${principal}`,
    ssl: { ca: Deno.readTextFileSync(caFile()) },
    sasl: { mechanism: "scram-sha-512", username: principal, password },
  };
}

/** The tests' own Kafka I/O (tests/test_kafka.ts) as `principal`, its Java reader too. */
export function kafkaAs(principal: string): TestKafka {
  const connection = connectionAs(principal);
  return {
    connection,
    readerProperties: javaClientProperties({
      credentials: { username: principal, password: connection.sasl!.password },
      caFile: caFile(),
    }),
  };
}

/** The administrator's: topics, ACLs, reading everything. */
export function adminKafka(): TestKafka {
  return kafkaAs("admin");
}

/** The administrator's admin client (topics, ACLs); close it after. */
export function clusterAdmin(): KafkaAdmin {
  return createAdmin(connectionAs("admin"));
}

/** The environment that makes one of our scripts connect as `principal`. */
export function principalEnv(principal: string): Record<string, string> {
  const c = connectionAs(principal);
  return {
    KAFKA_BROKERS: clusterBrokers().join(","),
    ...scriptKafkaEnv(
      { username: c.sasl!.username, password: c.sasl!.password },
      caFile(),
    ),
  };
}

/** The pid of node `id` now (it changes when the node restarts). */
export function nodePid(id: number): number {
  return clusterManifest().nodes.find((n) => n.id === id)!.pid;
}

/** A node killed by {@linkcode killNode}. */
export type { KilledNode };

const nodes = () => clusterNodes(Deno.env.get("KAFKA_CLUSTER_MANIFEST")!);

/** SIGKILLs node `id`; the runner's cluster restarts it on its own data. */
export function killNode(id: number): Promise<KilledNode> {
  return nodes().kill(id);
}

/** Waits until a killed node runs again under a new pid and has started serving. */
export function nodeBack(killed: KilledNode, timeoutMs = 120_000): Promise<void> {
  return nodes().back(killed, timeoutMs);
}
