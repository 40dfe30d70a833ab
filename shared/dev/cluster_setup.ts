/**
 * What a secured cluster needs before the pipeline runs on it, done as its
 * administrator: every topic of the pipeline (scripts may not create
 * topics there), then each script's ACLs from the catalog. `deno task kafka
 * start --secure`, the demo and the test runner's cluster phase all call
 * this, so they run the pipeline under exactly the table a user grants.
 * @module
 */
import { kafkaPrincipals } from "../../scripts/services.ts";
import type { LocalKafka } from "./broker/local_kafka.ts";
import { ADMIN_PRINCIPAL } from "./broker/cluster_security.ts";
import { createAdmin } from "../kafka/client.ts";
import { type KafkaConnection } from "../kafka/connection.ts";
import type { Logger } from "../platform/log.ts";
import { aclBindings, applyAcls } from "../kafka/acls.ts";
import { ensureTopics } from "../kafka/topics.ts";
import { pipelineTopics } from "../../scripts/topology.ts";

/** The administrator's connection to a local cluster (plain on an unsecured one). */
export function adminConnection(cluster: LocalKafka): Promise<KafkaConnection> {
  return principalConnection(cluster, ADMIN_PRINCIPAL);
}

/**
 * A connection to a local cluster as `principal` (SASL_SSL with its SCRAM
 * password when secured), for a client embedded in this process, as the
 * demo's schema registry is; a script's process gets `clientEnv(principal)`.
 */
export async function principalConnection(
  cluster: LocalKafka,
  principal: string,
): Promise<KafkaConnection> {
  const security = cluster.security;
  const brokers = cluster.bootstrap.split(",");
  if (!security) return { brokers, clientId: principal };
  // The same settings a script process gets: one place decides them.
  const env = security.clientEnv(principal);
  const read = (path?: string) => path ? Deno.readTextFile(path) : Promise.resolve(undefined);
  return {
    brokers,
    clientId: principal,
    ssl: {
      ca: await Deno.readTextFile(env.KAFKA_SSL_CA_FILE),
      cert: await read(env.KAFKA_SSL_CERT_FILE),
      key: await read(env.KAFKA_SSL_KEY_FILE),
    },
    sasl: {
      mechanism: "scram-sha-512",
      username: env.KAFKA_SASL_USERNAME,
      password: env.KAFKA_SASL_PASSWORD,
    },
  };
}

/** Creates the pipeline's topics and grants every script's ACLs; returns how many ACLs. */
export async function setUpPipeline(connection: KafkaConnection, log: Logger): Promise<number> {
  const admin = createAdmin(connection);
  try {
    await ensureTopics(admin, pipelineTopics(), log.withLevel("warn"));
    const bindings = kafkaPrincipals().flatMap(aclBindings);
    await applyAcls(admin, bindings);
    log.info("pipeline topics created and ACLs granted", {
      topics: pipelineTopics().length,
      acls: bindings.length,
      principals: kafkaPrincipals().length,
    });
    return bindings.length;
  } finally {
    await admin.close();
  }
}
