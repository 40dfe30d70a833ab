/**
 * The Kafka side of the Kubernetes deployment as Strimzi resources, made
 * from the tables the rest of the product uses: a KRaft `Kafka` cluster of
 * three nodes (one `KafkaNodePool`) with a SCRAM-SHA-512 listener over TLS
 * and `simple` authorization; a `KafkaTopic` per topic of the pipeline
 * (scripts/topology.ts: partitions, compaction and retention from
 * shared/kafka/topics.ts, replication 3 with `min.insync.replicas` 2); and a
 * `KafkaUser` per script principal whose ACLs are exactly the ones
 * shared/kafka/acls.ts derives from the script's row of scripts/services.ts.
 * Pure: tables in, plain objects out (./manifests.ts writes them as YAML).
 *
 * Kubernetes names allow neither `_` nor a leading `_`, so a resource is
 * named by {@linkcode kubernetesName}: a topic keeps its Kafka name in
 * `spec.topicName`, and a principal *is* its KafkaUser's name (Strimzi makes
 * the SCRAM user of that name): `inventory_orders_producer` connects as
 * `inventory-orders-producer` here.
 *
 * @example
 * ```ts
 * import { kafkaUser, kubernetesName } from "./strimzi.ts";
 * kubernetesName("inventory_orders"); // "inventory-orders"
 * const user = kafkaUser({ principal: "order_gateway", writes: ["orders"] });
 * user.spec.authorization.acls[0]; // { resource: { type: "topic", name: "orders", patternType: "literal" }, operations: ["Write"], host: "*" }
 * ```
 * @module
 */
import {
  type AclBinding,
  aclBindings,
  type AclOperation,
  type AclPattern,
  type AclResource,
  type KafkaAccess,
} from "../../shared/kafka/acls.ts";
import {
  durabilityConfigEntries,
  topicConfigEntries,
  type TopicSpec,
} from "../../shared/kafka/topics.ts";
import { KAFKA_VERSION } from "../../shared/dev/broker/local_kafka.ts";

/** The `Kafka` resource's name: its services, secrets and labels derive from it. */
export const CLUSTER_NAME = "order-pipeline";

/** The listener the scripts connect to: SCRAM-SHA-512 over TLS, inside the cluster. */
export const CLIENT_LISTENER = { name: "tls", port: 9093 } as const;

/** Brokers, replicas per partition and the in-sync replicas an acknowledged write needs. */
export const NODES = 3;
export const REPLICATION = 3;

/** What Strimzi names after the cluster: the bootstrap address and the cluster CA's secret. */
export const STRIMZI = {
  bootstrap: `${CLUSTER_NAME}-kafka-bootstrap:${CLIENT_LISTENER.port}`,
  caSecret: { name: `${CLUSTER_NAME}-cluster-ca-cert`, key: "ca.crt" },
  /** The key of the password in the Secret the User Operator makes for each KafkaUser. */
  passwordKey: "password",
} as const;

const STRIMZI_API = "kafka.strimzi.io/v1beta2";
const CLUSTER_LABEL = { "strimzi.io/cluster": CLUSTER_NAME };

/**
 * `name` as a Kubernetes resource name (RFC 1123): lower case, `_` as `-`,
 * no leading or trailing `-`. Throws for a name that cannot be one. Pure.
 */
export function kubernetesName(name: string): string {
  const out = name.toLowerCase().replaceAll("_", "-").replace(/^[-.]+|[-.]+$/g, "");
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(out) || out.length > 63) {
    throw new Error(`"${name}" makes no Kubernetes name (${out})`);
  }
  return out;
}

/** The three-node KRaft cluster: its `Kafka` and `KafkaNodePool`. Pure. */
export function kafkaCluster(): [Kafka, KafkaNodePool] {
  const minInsync = Number(
    durabilityConfigEntries(REPLICATION).find((e) => e.name === "min.insync.replicas")!.value,
  );
  return [{
    apiVersion: STRIMZI_API,
    kind: "Kafka",
    metadata: {
      name: CLUSTER_NAME,
      annotations: { "strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled" },
    },
    spec: {
      kafka: {
        version: KAFKA_VERSION,
        listeners: [{
          ...CLIENT_LISTENER,
          type: "internal",
          tls: true,
          authentication: { type: "scram-sha-512" },
        }],
        authorization: { type: "simple" },
        config: {
          // The topic operator creates every topic (./topics.yaml); a typo must not make one.
          "auto.create.topics.enable": false,
          "default.replication.factor": REPLICATION,
          "min.insync.replicas": minInsync,
          "unclean.leader.election.enable": false,
          // The group offsets and the transaction log are as durable as the data.
          "offsets.topic.replication.factor": REPLICATION,
          "transaction.state.log.replication.factor": REPLICATION,
          "transaction.state.log.min.isr": minInsync,
        },
      },
      entityOperator: { topicOperator: {}, userOperator: {} },
    },
  }, {
    apiVersion: STRIMZI_API,
    kind: "KafkaNodePool",
    metadata: { name: "dual-role", labels: CLUSTER_LABEL },
    spec: {
      replicas: NODES,
      // Each node is broker and KRaft controller: three nodes, a quorum of three.
      roles: ["controller", "broker"],
      storage: {
        type: "jbod",
        volumes: [{
          id: 0,
          type: "persistent-claim",
          size: "100Gi",
          deleteClaim: false,
          kraftMetadata: "shared",
        }],
      },
      resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "2Gi" } },
    },
  }];
}

/** One topic of the pipeline as a `KafkaTopic`, replicated 3 times with 2 in sync. Pure. */
export function kafkaTopic(spec: TopicSpec): KafkaTopic {
  const entries = [...topicConfigEntries(spec), ...durabilityConfigEntries(REPLICATION)];
  return {
    apiVersion: STRIMZI_API,
    kind: "KafkaTopic",
    metadata: { name: kubernetesName(spec.name), labels: CLUSTER_LABEL },
    spec: {
      topicName: spec.name,
      partitions: spec.partitions,
      replicas: REPLICATION,
      config: Object.fromEntries(entries.map((e) => [e.name, e.value])),
    },
  };
}

/** Every topic as a `KafkaTopic`; throws when two would get the same resource name. Pure. */
export function kafkaTopics(specs: readonly TopicSpec[]): KafkaTopic[] {
  const topics = specs.map(kafkaTopic);
  const names = topics.map((t) => t.metadata.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`two topics make the KafkaTopic name ${twice}`);
  return topics;
}

const RESOURCE_TYPE: Record<AclResource, StrimziAclRule["resource"]["type"]> = {
  TOPIC: "topic",
  GROUP: "group",
  TRANSACTIONAL_ID: "transactionalId",
  CLUSTER: "cluster",
};

const PATTERN_TYPE: Record<AclPattern, "literal" | "prefix"> = {
  LITERAL: "literal",
  PREFIXED: "prefix",
};

const OPERATION: Record<AclOperation, StrimziOperation> = {
  READ: "Read",
  WRITE: "Write",
  DESCRIBE: "Describe",
  IDEMPOTENT_WRITE: "IdempotentWrite",
};

/**
 * ACL bindings as a KafkaUser's rules: one rule per resource (type, name and
 * pattern), its operations in the bindings' order. Pure.
 */
export function strimziAclRules(bindings: readonly AclBinding[]): StrimziAclRule[] {
  const rules: StrimziAclRule[] = [];
  for (const b of bindings) {
    const resource: StrimziAclRule["resource"] = b.resourceType === "CLUSTER"
      ? { type: "cluster" }
      : {
        type: RESOURCE_TYPE[b.resourceType],
        name: b.resourceName,
        patternType: PATTERN_TYPE[b.patternType],
      };
    const same = rules.find((r) => JSON.stringify(r.resource) === JSON.stringify(resource));
    if (same) same.operations.push(OPERATION[b.operation]);
    else rules.push({ resource, operations: [OPERATION[b.operation]], host: "*" });
  }
  return rules;
}

/** A SCRAM-SHA-512 `KafkaUser` for `access`, with exactly its ACLs (shared/kafka/acls.ts). Pure. */
export function kafkaUser(access: KafkaAccess): KafkaUser {
  return kafkaUserWith(access.principal, aclBindings(access));
}

/** A SCRAM-SHA-512 `KafkaUser` named after `principal`, granted `bindings`. Pure. */
export function kafkaUserWith(principal: string, bindings: readonly AclBinding[]): KafkaUser {
  return {
    apiVersion: STRIMZI_API,
    kind: "KafkaUser",
    metadata: { name: kubernetesName(principal), labels: CLUSTER_LABEL },
    spec: {
      authentication: { type: "scram-sha-512" },
      authorization: { type: "simple", acls: strimziAclRules(bindings) },
    },
  };
}

interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Kafka {
  apiVersion: string;
  kind: "Kafka";
  metadata: Metadata;
  spec: {
    kafka: {
      version: string;
      listeners: {
        name: string;
        port: number;
        type: string;
        tls: boolean;
        authentication: { type: string };
      }[];
      authorization: { type: "simple" };
      config: Record<string, string | number | boolean>;
    };
    entityOperator: { topicOperator: object; userOperator: object };
  };
}

export interface KafkaNodePool {
  apiVersion: string;
  kind: "KafkaNodePool";
  metadata: Metadata;
  spec: {
    replicas: number;
    roles: ("controller" | "broker")[];
    storage: object;
    resources: object;
  };
}

export interface KafkaTopic {
  apiVersion: string;
  kind: "KafkaTopic";
  metadata: Metadata;
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string> };
}

type StrimziOperation = "Read" | "Write" | "Describe" | "IdempotentWrite";

/** One rule of a KafkaUser's `simple` authorization. */
export interface StrimziAclRule {
  resource:
    | {
      type: "topic" | "group" | "transactionalId";
      name: string;
      patternType: "literal" | "prefix";
    }
    | { type: "cluster" };
  operations: StrimziOperation[];
  host: "*";
}

export interface KafkaUser {
  apiVersion: string;
  kind: "KafkaUser";
  metadata: Metadata;
  spec: {
    authentication: { type: "scram-sha-512" };
    authorization: { type: "simple"; acls: StrimziAclRule[] };
  };
}
