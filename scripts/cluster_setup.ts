/**
 * What a secured cluster needs before the pipeline runs on it, done as its
 * administrator: every topic of the pipeline (scripts may not create
 * topics there), then each script's ACLs from the catalog. `deno task kafka
 * start --secure`, the demo and the test runner's cluster phase all call
 * this, so they run the pipeline under exactly the table a user grants.
 * @module
 */
import { kafkaPrincipals } from "./catalog.ts";
import type { LocalKafka } from "../shared/broker/local_kafka.ts";
import { createKafka, type KafkaConnection } from "../shared/kafka.ts";
import type { Logger } from "../shared/log.ts";
import { aclBindings, applyAcls } from "../shared/security/acls.ts";
import { ensureTopics } from "../shared/topics.ts";
import { pipelineTopics } from "../shared/topology.ts";

/** The administrator's connection to a secured local cluster. */
export async function adminConnection(cluster: LocalKafka): Promise<KafkaConnection> {
  const security = cluster.security;
  if (!security) return { brokers: cluster.bootstrap.split(","), clientId: "admin" };
  return {
    brokers: cluster.bootstrap.split(","),
    clientId: "admin",
    ssl: { ca: await Deno.readTextFile(security.caFile) },
    sasl: { mechanism: "scram-sha-512", ...security.admin },
  };
}

/** Creates the pipeline's topics and grants every script's ACLs; returns how many ACLs. */
export async function setUpPipeline(connection: KafkaConnection, log: Logger): Promise<number> {
  const admin = createKafka(connection, log.withLevel("error")).admin();
  await admin.connect();
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
    await admin.disconnect();
  }
}
