/**
 * The scripts on Kubernetes, made from the service table (scripts/services.ts):
 * a `Deployment` and a `Service` per long-running script (one that listens
 * on a port), its container running `deno run` with exactly the row's
 * permission flags, configured through the env its flags declare, probed
 * where it serves `/metrics` (or `/healthz` on an HTTP surface); and a KEDA
 * `ScaledObject` for each script that may scale on its consumer group's lag,
 * up to the partition count of the topics it consumes. Pure: rows in, plain
 * objects out (./manifests.ts writes them as YAML).
 *
 * How far a script may scale is decided once, in {@linkcode SCALING}, with
 * the reason: a single writer (one transactional id, one topic's only
 * writer) runs one replica and is replaced, never rolled; a stateless HTTP
 * surface runs a fixed number; a consumer whose transactional ids are one
 * per instance scales on lag.
 *
 * @example
 * ```ts
 * import { SCRIPTS } from "../../scripts/services.ts";
 * import { deployment, deployedScripts } from "./workloads.ts";
 * const [registry] = deployedScripts(SCRIPTS);
 * deployment(registry, SCRIPTS).spec.replicas; // 1
 * ```
 * @module
 */
import { flagName } from "../../shared/platform/config.ts";
import type { AclBinding } from "../../shared/kafka/acls.ts";
import { TOPICS, type TopicSpec } from "../../shared/kafka/topics.ts";
import { defaultPort, type ScriptEntry, type ServicePort } from "../../scripts/services.ts";
import { kafkaUserWith, kubernetesName, STRIMZI } from "./strimzi.ts";

/** The image every script runs in (./Containerfile); set your registry's with kustomize `images`. */
export const IMAGE = "order-pipeline:latest";

/** Where the pods mount the cluster CA that signs the brokers' certificates. */
const CA_DIR = "/etc/kafka-ca";

/** The uid and gid of the `deno` user of the denoland/deno image. */
const DENO_USER = 1993;

/** The Secret holding `DATABASE_URL` (key `url`): a PostgreSQL every consumer replica shares. */
export const DATABASE_SECRET = { name: "order-pipeline-database", key: "url" } as const;

/** The principal KEDA reads consumer lag as, and the TriggerAuthentication that uses it. */
export const LAG_READER = "keda-lag-reader";

/** How many replicas a script runs, and why. */
export type Scaling =
  /** One replica, replaced (Recreate) rather than rolled, so two never run at once. */
  | { kind: "single"; why: string }
  /** A fixed number behind the Service. */
  | { kind: "replicated"; replicas: number; why: string }
  /** A KEDA ScaledObject on its group's lag, up to its topics' partitions. */
  | { kind: "lag"; why: string };

/** Every long-running script's scaling, by name. */
export const SCALING: Record<string, Scaling> = {
  schema_registry: {
    kind: "single",
    why: "it is the single writer of its _schemas topic (scripts/schema_registry.ts): " +
      "a second instance would hand out the same schema ids",
  },
  inventory_orders_producer: {
    kind: "lag",
    why: "one transactional id per instance and offsets committed in its transactions: " +
      "any number share the orders partitions exactly once",
  },
  delivery_orders_producer: {
    kind: "lag",
    why: "one transactional id per instance and offsets committed in its transactions: " +
      "any number share the orders partitions exactly once",
  },
  inventory_data_consumer: {
    kind: "lag",
    why: "one transactional id per instance; every replica applies to the same PostgreSQL, " +
      "whose store takes concurrent writers (tests/store_contract_test.ts)",
  },
  delivery_data_consumer: {
    kind: "lag",
    why: "one transactional id per instance; every replica applies to the same PostgreSQL",
  },
  carrier_simulator: {
    kind: "lag",
    why: "each delivery's updates come from the member that owns its order's partition",
  },
  aggregator: {
    kind: "single",
    why: "one transactional id (order-aggregator) and its whole state in one snapshot: " +
      "a second instance would fence the first, and each would count only its partitions",
  },
  dashboard: {
    kind: "single",
    why: "its DLQ replay uses one transactional id per dead-letter topic: a second instance " +
      "would fence the first one's replay",
  },
  notifier: {
    kind: "lag",
    why: "one transactional id per instance; its ledger and recipients live in the PostgreSQL " +
      "every replica shares, so a re-read event finds its row whoever reads it",
  },
  order_status_service: {
    kind: "replicated",
    replicas: 2,
    why: "each instance reads all of order_status into its own view (a group of its own), " +
      "so any number answer alike; scale it on requests, not on lag",
  },
  order_gateway: {
    kind: "replicated",
    replicas: 2,
    why: "stateless HTTP intake (202 once Kafka has the order); two for availability",
  },
};

/** The scripts that run as Deployments: those listening on a port (the rest are one-shot tools). */
export function deployedScripts(scripts: readonly ScriptEntry[]): ScriptEntry[] {
  return scripts.filter((s) => s.ports.length > 0 && !(s.name in NOT_DEPLOYED));
}

/** Long-running scripts that are not a Deployment of this folder, and why. */
export const NOT_DEPLOYED: Record<string, string> = {
  smtp_sink: "it is a stand-in mail relay for tests and the demo; on a cluster the notifier's " +
    "--smtp-host names your relay",
  connect: "it starts a Kafka Connect JVM on one machine; on Kubernetes, Strimzi runs the " +
    "workers and their connectors (connect.yaml, ./connect.ts)",
};

/** `script`'s scaling; throws for a deployed script {@linkcode SCALING} does not decide. */
export function scalingOf(script: ScriptEntry): Scaling {
  const scaling = SCALING[script.name];
  if (!scaling) throw new Error(`${script.name}: add its row to SCALING (deploy/kubernetes)`);
  return scaling;
}

/** The name of a container port: `metrics` for `--metrics-port`, else `http`. */
function portName(port: ServicePort): string {
  return port.key === "metricsPort" ? "metrics" : "http";
}

/** The in-cluster URL of `name`'s port `key` (its Service and default port). */
function serviceUrl(scripts: readonly ScriptEntry[], name: string, key: string): string {
  const script = scripts.find((s) => s.name === name);
  if (!script) throw new Error(`no script ${name} in the service table`);
  return `http://${kubernetesName(name)}:${defaultPort(script, key)}`;
}

/** A script's consumed topics that the declared table knows (its retry topics left out). */
export function sourceTopics(script: ScriptEntry): TopicSpec[] {
  const declared: readonly TopicSpec[] = Object.values(TOPICS);
  return declared.filter((t) => script.kafka?.reads?.includes(t.name));
}

/** The consumer group a lag-scaled script's replicas share; throws unless it has exactly one. */
export function scaledGroup(script: ScriptEntry): string {
  const groups = script.kafka?.groups ?? [];
  if (groups.length !== 1) throw new Error(`${script.name}: lag scaling needs exactly one group`);
  return groups[0];
}

/**
 * The container env of `script`: the Kafka connection (Strimzi's TLS
 * listener, SCRAM as its own principal, the password from the User
 * Operator's Secret), its ports bound on every interface (a probe comes
 * from outside the pod), topics left to the topic operator, the other
 * services' in-cluster URLs, and every secret flag from a Secret of its own
 * (`<name>-secrets`, optional: unset, the script's default applies). Only
 * variables its `--allow-env` grants are set.
 */
export function containerEnv(script: ScriptEntry, scripts: readonly ScriptEntry[]): EnvVar[] {
  const name = kubernetesName(script.name);
  const flags = script.flags ?? {};
  const env: EnvVar[] = [];
  const set = (key: string, value: string) => {
    const variable = flags[key]?.env;
    if (variable) env.push({ name: variable, value });
  };
  const fromSecret = (key: string, secretKeyRef: SecretKeyRef) => {
    const variable = flags[key]?.env;
    if (variable) env.push({ name: variable, valueFrom: { secretKeyRef } });
  };
  if (script.kafka) {
    set("brokers", STRIMZI.bootstrap);
    set("ssl", "true");
    set("sslCaFile", `${CA_DIR}/${STRIMZI.caSecret.key}`);
    set("saslMechanism", "scram-sha-512");
    set("saslUsername", name);
    fromSecret("saslPassword", { name, key: STRIMZI.passwordKey });
  }
  for (const port of script.ports) {
    set(port.key === "port" ? "host" : port.key.replace(/Port$/, "Host"), "0.0.0.0");
  }
  set("createTopics", "false");
  set("registryUrl", serviceUrl(scripts, "schema_registry", "port"));
  set("statsUrl", serviceUrl(scripts, "aggregator", "httpPort"));
  set(
    "scrape",
    deployedScripts(scripts).filter((s) => SCALING[s.name]?.kind === "lag")
      .map((s) => `${s.name}=${serviceUrl(scripts, s.name, "metricsPort")}/metrics`).join(","),
  );
  fromSecret("databaseUrl", { ...DATABASE_SECRET });
  set("logLevel", "info");
  for (const [key, spec] of Object.entries(flags)) {
    if (spec.type === "string" && spec.secret && key !== "saslPassword") {
      fromSecret(key, { name: `${name}-secrets`, key: flagName(key), optional: true });
    }
  }
  return env;
}

/** Where kubelet checks the script: `/metrics` where it is scraped, `/healthz` on an HTTP surface. */
export function probeOf(script: ScriptEntry): Probe {
  const timing = { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 };
  // The HTTP surfaces keep /healthz open when credentials are set; their /metrics is not.
  if (script.scrape === "port") return { httpGet: { path: "/healthz", port: "http" }, ...timing };
  if (script.scrape === "metricsPort") {
    return { httpGet: { path: "/metrics", port: "metrics" }, ...timing };
  }
  // The registry serves neither without credentials once --auth-users is set: its port answers.
  return { tcpSocket: { port: portName(script.ports[0]) }, ...timing };
}

/** `script` as a Deployment. Pure. */
export function deployment(script: ScriptEntry, scripts: readonly ScriptEntry[]): Deployment {
  const name = kubernetesName(script.name);
  const scaling = scalingOf(script);
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "order-pipeline" };
  const probe = probeOf(script);
  const scraped = script.scrape && script.ports.find((p) => p.key === script.scrape);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: {
      // Under a ScaledObject the HPA owns the count: a replicas here would reset it on each apply.
      ...(scaling.kind === "lag"
        ? {}
        : { replicas: scaling.kind === "replicated" ? scaling.replicas : 1 }),
      strategy: scaling.kind === "single" ? { type: "Recreate" } : { type: "RollingUpdate" },
      selector: { matchLabels: { "app.kubernetes.io/name": name } },
      template: {
        metadata: {
          labels,
          annotations: scraped
            ? {
              "prometheus.io/scrape": "true",
              "prometheus.io/port": String(scraped.port),
              "prometheus.io/path": "/metrics",
            }
            : {},
        },
        spec: {
          // Each script finishes or aborts its transaction on SIGTERM and closes its clients.
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: DENO_USER, runAsGroup: DENO_USER },
          containers: [{
            name,
            image: IMAGE,
            command: ["deno", "run", ...script.permissions, script.entry],
            env: containerEnv(script, scripts),
            ports: script.ports.map((p) => ({ name: portName(p), containerPort: p.port })),
            readinessProbe: probe,
            livenessProbe: probe,
            resources: {
              requests: { cpu: "100m", memory: "128Mi" },
              limits: { memory: "512Mi" },
            },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            volumeMounts: script.kafka
              ? [{ name: "kafka-ca", mountPath: CA_DIR, readOnly: true }]
              : [],
          }],
          volumes: script.kafka
            ? [{ name: "kafka-ca", secret: { secretName: STRIMZI.caSecret.name } }]
            : [],
        },
      },
    },
  };
}

/** The Service in front of `script`'s pods, on each of its ports. Pure. */
export function service(script: ScriptEntry): Service {
  const name = kubernetesName(script.name);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, labels: { "app.kubernetes.io/part-of": "order-pipeline" } },
    spec: {
      selector: { "app.kubernetes.io/name": name },
      ports: script.ports.map((p) => ({
        name: portName(p),
        port: p.port,
        targetPort: portName(p),
      })),
    },
  };
}

/** How many unprocessed records per replica make KEDA add one. */
export const LAG_THRESHOLD = 100;

/**
 * A lag-scaled script's ScaledObject: one apache-kafka trigger per consumed
 * topic of its group, at most as many replicas as the largest of those
 * topics has partitions (a member more would own none). Pure.
 */
export function scaledObject(script: ScriptEntry): ScaledObject {
  const name = kubernetesName(script.name);
  const group = scaledGroup(script);
  const topics = sourceTopics(script);
  if (topics.length === 0) throw new Error(`${script.name}: no declared topic to scale on`);
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name },
    spec: {
      scaleTargetRef: { name },
      // One stays up: scaling from zero would cost a rebalance and a cold start per burst.
      minReplicaCount: 1,
      maxReplicaCount: Math.max(...topics.map((t) => t.partitions)),
      pollingInterval: 15,
      cooldownPeriod: 300,
      advanced: {
        // Each change of replicas is a rebalance of the group: scale down slowly.
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
        },
      },
      triggers: topics.map((t) => ({
        type: "kafka",
        metadata: {
          bootstrapServers: STRIMZI.bootstrap,
          consumerGroup: group,
          topic: t.name,
          lagThreshold: String(LAG_THRESHOLD),
          offsetResetPolicy: "earliest",
          allowIdleConsumers: "false",
        },
        authenticationRef: { name: LAG_READER },
      })),
    },
  };
}

/** The lag reader's settings Secret: no credential, only what KEDA insists on reading from one. */
const LAG_READER_SETTINGS = `${LAG_READER}-settings`;

/**
 * What KEDA needs to read lag: the `keda-lag-reader` KafkaUser (Describe on
 * each scaled group and its topics, nothing more), a Secret with its
 * non-secret settings (KEDA takes every parameter from a Secret), and the
 * TriggerAuthentication that adds the password and the cluster CA from the
 * Secrets Strimzi makes. Pure.
 */
export function lagReader(scaled: readonly ScriptEntry[]) {
  const principal = `User:${LAG_READER}`;
  const describe = (
    resourceType: "GROUP" | "TOPIC",
    resourceName: string,
  ): AclBinding => ({
    principal,
    resourceType,
    resourceName,
    patternType: "LITERAL",
    operation: "DESCRIBE",
  });
  const bindings = [
    ...new Set(scaled.map(scaledGroup)),
  ].map((g) => describe("GROUP", g)).concat(
    [...new Set(scaled.flatMap((s) => sourceTopics(s).map((t) => t.name)))].map((t) =>
      describe("TOPIC", t)
    ),
  );
  const settings = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: LAG_READER_SETTINGS },
    type: "Opaque",
    stringData: { sasl: "scram_sha512", tls: "enable", username: LAG_READER },
  };
  const auth = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "TriggerAuthentication",
    metadata: { name: LAG_READER },
    spec: {
      secretTargetRef: [
        { parameter: "sasl", name: LAG_READER_SETTINGS, key: "sasl" },
        { parameter: "tls", name: LAG_READER_SETTINGS, key: "tls" },
        { parameter: "username", name: LAG_READER_SETTINGS, key: "username" },
        { parameter: "password", name: LAG_READER, key: STRIMZI.passwordKey },
        { parameter: "ca", name: STRIMZI.caSecret.name, key: STRIMZI.caSecret.key },
      ],
    },
  };
  return { user: kafkaUserWith(LAG_READER, bindings), settings, auth };
}

interface SecretKeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

export type EnvVar = { name: string; value: string } | {
  name: string;
  valueFrom: { secretKeyRef: SecretKeyRef };
};

export type Probe =
  & ({ httpGet: { path: string; port: string } } | { tcpSocket: { port: string } })
  & { periodSeconds: number; timeoutSeconds: number; failureThreshold: number };

export interface Deployment {
  apiVersion: "apps/v1";
  kind: "Deployment";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    /** Absent under a ScaledObject. */
    replicas?: number;
    strategy: { type: "Recreate" | "RollingUpdate" };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: object;
        containers: {
          name: string;
          image: string;
          command: string[];
          env: EnvVar[];
          ports: { name: string; containerPort: number }[];
          readinessProbe: Probe;
          livenessProbe: Probe;
          resources: object;
          securityContext: object;
          volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
        }[];
        volumes: { name: string; secret: { secretName: string } }[];
      };
    };
  };
}

export interface Service {
  apiVersion: "v1";
  kind: "Service";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string }[];
  };
}

export interface ScaledObject {
  apiVersion: "keda.sh/v1alpha1";
  kind: "ScaledObject";
  metadata: { name: string };
  spec: {
    scaleTargetRef: { name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    pollingInterval: number;
    cooldownPeriod: number;
    advanced: object;
    triggers: {
      type: "kafka";
      metadata: Record<string, string>;
      authenticationRef: { name: string };
    }[];
  };
}
