/**
 * Kafka Connect on Kubernetes as Strimzi resources, made from what the
 * local worker (scripts/connect.ts) runs: a `KafkaConnect` cluster whose
 * worker config is shared/connect/connectors.ts's `workerProperties` (group,
 * internal topics, exactly-once source support) without what Strimzi sets
 * itself, connecting over TLS as the `connect` principal's KafkaUser, its
 * image built with the plugins of shared/connect/plugins.ts; a `KafkaTopic`
 * per internal topic of the worker; and one
 * `KafkaConnector` per connector, whose config is what the product's
 * functions build. Pure: the script's row in, plain objects out
 * (./manifests.ts writes them as YAML).
 *
 * No credential is written here: each field of a database (host, port,
 * user, password, name) is a `${env:…}` reference that Kafka's
 * EnvVarConfigProvider resolves in the worker, from a Secret the pod's env
 * reads ({@linkcode DATABASE_SECRETS}). {@linkcode databaseReferenced} builds
 * a config with two different databases and substitutes the references: if
 * the two disagree, a field reached the config in a form a reference cannot
 * stand for, and the renderer throws rather than write a half-resolved one.
 *
 * @example
 * ```ts
 * import { scriptByName } from "../../scripts/services.ts";
 * import { connectResources } from "./connect.ts";
 * const [cluster, outbox] = connectResources(scriptByName("connect")!);
 * cluster.spec.authentication.username; // "connect"
 * outbox.spec.config["database.password"]; // "${env:CONNECT_SOURCE_DATABASE_PASSWORD}"
 * ```
 * @module
 */
import type { ScriptEntry } from "../../scripts/services.ts";
import { connectConfig } from "../../shared/connect/config.ts";
import {
  type ConnectorConfig,
  type DatabaseAddress,
  DEFAULT_OUTBOX,
  DEFAULT_STATUS_SINK,
  outboxSourceConfig,
  parseProperties,
  statusSinkConfig,
  workerProperties,
  workerTopics,
} from "../../shared/connect/connectors.ts";
import { CONNECTOR_PLUGINS, mavenCentralUrl } from "../../shared/connect/plugins.ts";
import { KAFKA_VERSION } from "../../shared/dev/broker/local_kafka.ts";
import { type KafkaTopic, kafkaTopic, kubernetesName, REPLICATION, STRIMZI } from "./strimzi.ts";

const STRIMZI_API = "kafka.strimzi.io/v1beta2";
const defaults = connectConfig.specs;

/** The `KafkaConnect`'s name: its group's (Strimzi names its pods `<name>-connect-…`). */
export const CONNECT_CLUSTER = kubernetesName(defaults.groupId.default);

/** Where Strimzi pushes the image it builds with the plugins: replace with your registry's. */
export const CONNECT_IMAGE = "registry.example.com/order-pipeline-connect:latest";

/** Two workers: when one stops, the other takes its tasks over. */
export const CONNECT_REPLICAS = 2;

/**
 * The Secrets holding each database's fields (keys host, port, user,
 * password, dbname), and the env prefix they reach the worker under.
 */
export const DATABASE_SECRETS = {
  source: { name: "order-pipeline-storefront-database", env: "CONNECT_SOURCE_DATABASE" },
  sink: { name: "order-pipeline-report-database", env: "CONNECT_SINK_DATABASE" },
} as const;

/** The Secret key of each field of a {@linkcode DatabaseAddress}. */
const SECRET_KEY: Record<keyof DatabaseAddress, string> = {
  host: "host",
  port: "port",
  user: "user",
  password: "password",
  name: "dbname",
};

/**
 * Worker settings Strimzi sets itself from the resource's spec (bootstrap,
 * TLS, SASL, REST listener, plugin path) and refuses in `spec.config`.
 */
const STRIMZI_OWNED = /^(bootstrap\.servers|listeners|plugin\.path|rest\.|security\.|sasl\.|ssl\.)/;

/** The env variable that carries `field` of `database`. */
function envName(database: keyof typeof DATABASE_SECRETS, field: keyof DatabaseAddress): string {
  return `${DATABASE_SECRETS[database].env}_${SECRET_KEY[field].toUpperCase()}`;
}

/** A database whose every field is distinct from every other config value. */
function probeDatabase(n: number): DatabaseAddress {
  const tag = `probe${n}x${n}`;
  return {
    host: `${tag}-host.invalid`,
    port: 60_000 + n,
    user: `${tag}-user`,
    password: `${tag}-password`,
    name: `${tag}-name`,
  };
}

/**
 * The config `build` makes, with each field of the database it is given as
 * a `${env:…}` reference to {@linkcode DATABASE_SECRETS}' `database`.
 * Throws when a field reaches the config in a form a reference cannot stand
 * for (encoded, split, or decided on). Pure.
 */
export function databaseReferenced(
  build: (database: DatabaseAddress) => ConnectorConfig,
  database: keyof typeof DATABASE_SECRETS,
): ConnectorConfig {
  const referenced = (probe: DatabaseAddress) =>
    Object.fromEntries(
      Object.entries(build(probe)).map(([key, value]) => {
        for (const field of Object.keys(SECRET_KEY) as (keyof DatabaseAddress)[]) {
          value = value.replaceAll(String(probe[field]), `\${env:${envName(database, field)}}`);
        }
        return [key, value];
      }),
    );
  const [one, two] = [referenced(probeDatabase(1)), referenced(probeDatabase(2))];
  if (JSON.stringify(one) !== JSON.stringify(two)) {
    throw new Error(`a ${database} connector's config holds a database field no reference makes`);
  }
  return one;
}

/** The two connectors, as scripts/connect.ts configures them, by name. Pure. */
export function connectorConfigs(): Record<string, ConnectorConfig> {
  return {
    [DEFAULT_OUTBOX.connector]: databaseReferenced(
      (database) =>
        outboxSourceConfig({
          ...DEFAULT_OUTBOX,
          database,
          ordersTopic: defaults.ordersTopic.default,
        }),
      "source",
    ),
    [DEFAULT_STATUS_SINK.connector]: databaseReferenced(
      (database) =>
        statusSinkConfig({
          ...DEFAULT_STATUS_SINK,
          database,
          statusTopic: defaults.statusTopic.default,
        }),
      "sink",
    ),
  };
}

/**
 * The worker's internal topics, compacted as Connect requires: the
 * `connect` principal has no Create ACL, so the topic operator makes them
 * (one partition of configs, as Connect insists; its default 25 and 5 for
 * offsets and statuses). Pure.
 */
export function connectTopics(): KafkaTopic[] {
  const names = workerTopics(defaults.groupId.default);
  const partitions = { configs: 1, offsets: 25, status: 5 };
  return (Object.keys(names) as (keyof typeof names)[]).map((topic) => {
    const resource = kafkaTopic({
      // A resource name has no `.`: the topic keeps it in `spec.topicName`.
      name: names[topic].replaceAll(".", "-"),
      partitions: partitions[topic],
      replication: REPLICATION,
      cleanup: "compact",
      purpose: `the Connect worker's ${topic}`,
    });
    return { ...resource, spec: { ...resource.spec, topicName: names[topic] } };
  });
}

/** The local worker's properties without those Strimzi sets, and the env config provider. Pure. */
export function connectWorkerConfig(): Record<string, string> {
  const properties = parseProperties(workerProperties({
    brokers: [STRIMZI.bootstrap],
    groupId: defaults.groupId.default,
    restHost: "0.0.0.0",
    restPort: defaults.restPort.default,
    pluginPath: "/opt/kafka/plugins",
    replicationFactor: REPLICATION,
    clientProperties: {},
  }));
  return {
    ...Object.fromEntries(Object.entries(properties).filter(([key]) => !STRIMZI_OWNED.test(key))),
    // The connectors' `${env:…}` references resolve in the worker, never in the resource.
    "config.providers": "env",
    "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
  };
}

/** The `KafkaConnect` cluster and a `KafkaConnector` per connector, for the `connect` row. Pure. */
export function connectResources(script: ScriptEntry): [KafkaConnect, ...KafkaConnector[]] {
  const user = kubernetesName(script.name);
  const env = (Object.keys(DATABASE_SECRETS) as (keyof typeof DATABASE_SECRETS)[]).flatMap(
    (database) =>
      (Object.keys(SECRET_KEY) as (keyof DatabaseAddress)[]).map((field) => ({
        name: envName(database, field),
        valueFrom: {
          secretKeyRef: { name: DATABASE_SECRETS[database].name, key: SECRET_KEY[field] },
        },
      })),
  );
  const cluster: KafkaConnect = {
    apiVersion: STRIMZI_API,
    kind: "KafkaConnect",
    metadata: {
      name: CONNECT_CLUSTER,
      // The connectors are the KafkaConnector resources below, not REST calls.
      annotations: { "strimzi.io/use-connector-resources": "true" },
    },
    spec: {
      version: KAFKA_VERSION,
      replicas: CONNECT_REPLICAS,
      bootstrapServers: STRIMZI.bootstrap,
      tls: {
        trustedCertificates: [{
          secretName: STRIMZI.caSecret.name,
          certificate: STRIMZI.caSecret.key,
        }],
      },
      authentication: {
        type: "scram-sha-512",
        username: user,
        passwordSecret: { secretName: user, password: STRIMZI.passwordKey },
      },
      config: connectWorkerConfig(),
      build: {
        output: { type: "docker", image: CONNECT_IMAGE },
        plugins: CONNECTOR_PLUGINS.map((p) => ({
          name: p.name,
          artifacts: p.artifacts.map((a) => ({
            type: a.extension === "tar.gz" ? "tgz" as const : "jar" as const,
            url: mavenCentralUrl(a),
            sha512sum: a.sha512,
          })),
        })),
      },
      jvmOptions: { "-Xmx": defaults.heap.default },
      resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } },
      template: { connectContainer: { env } },
    },
  };
  const connectors = Object.entries(connectorConfigs()).map((
    [name, { "connector.class": connectorClass, "tasks.max": tasksMax, ...config }],
  ): KafkaConnector => ({
    apiVersion: STRIMZI_API,
    kind: "KafkaConnector",
    metadata: { name, labels: { "strimzi.io/cluster": CONNECT_CLUSTER } },
    // Strimzi takes the class and the task count as fields, and refuses them in `config`.
    spec: { class: connectorClass, tasksMax: Number(tasksMax), config },
  }));
  return [cluster, ...connectors];
}

interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KafkaConnect {
  apiVersion: string;
  kind: "KafkaConnect";
  metadata: Metadata;
  spec: {
    version: string;
    replicas: number;
    bootstrapServers: string;
    tls: { trustedCertificates: { secretName: string; certificate: string }[] };
    authentication: {
      type: "scram-sha-512";
      username: string;
      passwordSecret: { secretName: string; password: string };
    };
    config: Record<string, string>;
    build: {
      output: { type: "docker"; image: string };
      plugins: {
        name: string;
        artifacts: { type: "tgz" | "jar"; url: string; sha512sum: string }[];
      }[];
    };
    jvmOptions: { "-Xmx": string };
    resources: object;
    template: {
      connectContainer: {
        env: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[];
      };
    };
  };
}

export interface KafkaConnector {
  apiVersion: string;
  kind: "KafkaConnector";
  metadata: Metadata;
  spec: { class: string; tasksMax: number; config: ConnectorConfig };
}
