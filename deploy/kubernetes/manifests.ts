/**
 * The files of deploy/kubernetes/, as `deno task services` writes them
 * (scripts/dev/services_generate.ts; `--check` fails when one is out of
 * date): the Strimzi cluster, its topics and users (./strimzi.ts), the
 * scripts' Deployments and Services and their KEDA autoscaling
 * (./workloads.ts), Kafka Connect with its connectors (./connect.ts), and the kustomization that applies them all. Each
 * resource is preceded by a comment saying what it is, and for a script
 * why it scales as it does. Pure: tables in, YAML text out.
 *
 * @example
 * ```ts
 * import { SCRIPTS } from "../../scripts/services.ts";
 * import { pipelineTopics } from "../../scripts/topology.ts";
 * import { kubernetesFiles } from "./manifests.ts";
 * kubernetesFiles(SCRIPTS, pipelineTopics()).map((f) => f.path); // ["deploy/kubernetes/kafka.yaml", …]
 * ```
 * @module
 */
import { stringify } from "yaml";
import type { TopicSpec } from "../../shared/kafka/topics.ts";
import type { ScriptEntry } from "../../scripts/services.ts";
import { connectResources, connectTopics } from "./connect.ts";
import { kafkaCluster, kafkaTopics, kafkaUser, REPLICATION } from "./strimzi.ts";
import {
  deployedScripts,
  deployment,
  IMAGE,
  lagReader,
  scaledObject,
  scalingOf,
  service,
} from "./workloads.ts";

/** The folder the files are written to, from the repository root. */
export const KUBERNETES_DIR = "deploy/kubernetes";

/** A resource and the comment above it. */
interface Commented {
  comment?: string;
  resource: object;
}

const HEADER = [
  "Generated from scripts/services.ts by `deno task services` (deploy/kubernetes/manifests.ts):",
  "edit the table, not this file. No Kubernetes cluster runs where this was made:",
  "tests/kubernetes_test.ts checks the file against the table, as compose_test does compose.yaml.",
];

/** `# `-prefixed lines of `text`, wrapped at about 96 columns. */
function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > 96) {
      lines.push(`# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`# ${line}`);
  return lines;
}

/** The comment every file starts with: what it holds, and where it comes from. */
function fileHeader(title: string): string {
  return [...commentLines(title), "#", ...HEADER.map((l) => `# ${l}`)].join("\n");
}

/** One multi-document YAML file: the header, then each resource after its comment. */
function yamlFile(title: string, docs: readonly Commented[]): string {
  const head = fileHeader(title);
  const bodies = docs.map((d) =>
    [
      ...(d.comment ? commentLines(d.comment) : []),
      stringify(d.resource, { lineWidth: 0, aliasDuplicateObjects: false }),
    ]
      .join("\n")
  );
  return `${head}\n${bodies.map((b) => `---\n${b}`).join("")}`;
}

/** Why `script` runs as many replicas as it does, for the comment above its Deployment. */
function replicasComment(script: ScriptEntry): string {
  const scaling = scalingOf(script);
  const how = scaling.kind === "single"
    ? "Exactly one replica, replaced rather than rolled, and no ScaledObject"
    : scaling.kind === "replicated"
    ? `${scaling.replicas} replicas, no ScaledObject`
    : "Scaled by KEDA on its group's lag (autoscaling.yaml)";
  return `${script.name}: ${script.summary}. ${how}: ${scaling.why}.`;
}

/** connect.yaml: the `connect` row's Connect cluster, its topics and its connectors. */
function connectFile(script: ScriptEntry): [string, string, Commented[]] {
  const [cluster, ...connectors] = connectResources(script);
  return [
    "connect.yaml",
    `${script.name}: ${script.summary}. On Kubernetes, Strimzi runs the worker (deploy/kubernetes/` +
    "connect.ts): create the Secrets order-pipeline-storefront-database and " +
    "order-pipeline-report-database (keys host, port, user, password, dbname) and the tables " +
    "scripts/connect.ts creates locally (docs/operations.md).",
    [
      {
        comment: "The workers: the local worker's config, the connect user's SCRAM over TLS, " +
          "an image Strimzi builds with the Debezium plugins (replace its output image).",
        resource: cluster,
      },
      ...connectTopics().map((resource) => ({
        comment: `${resource.spec.topicName}: an internal topic of the worker, compacted.`,
        resource,
      })),
      ...connectors.map((resource) => ({
        comment: `${resource.metadata.name}: the config scripts/connect.ts gives the worker, ` +
          "its database fields from a Secret through the env config provider.",
        resource,
      })),
    ],
  ];
}

/** Each file of deploy/kubernetes/ and its text, before `deno fmt`. Pure. */
export function kubernetesFiles(
  scripts: readonly ScriptEntry[],
  topics: readonly TopicSpec[],
): { path: string; text: string }[] {
  const deployed = deployedScripts(scripts);
  const scaled = deployed.filter((s) => scalingOf(s).kind === "lag");
  const reader = lagReader(scaled);
  const [kafka, pool] = kafkaCluster();
  const connectScript = scripts.find((s) => s.name === "connect");
  const files: [string, string, Commented[]][] = [
    ["kafka.yaml", "The Kafka cluster (Strimzi): three KRaft nodes, SCRAM-SHA-512 over TLS.", [
      {
        comment: "Every client authenticates with SCRAM and is authorized by its ACLs.",
        resource: kafka,
      },
      { comment: "Three nodes, each broker and controller.", resource: pool },
    ]],
    [
      "topics.yaml",
      `Every topic of the pipeline (scripts/topology.ts), replicated ${REPLICATION} times; the ` +
      "scripts create none here (they have no Create ACL).",
      kafkaTopics(topics).map((resource) => ({
        comment: topics.find((t) => t.name === resource.spec.topicName)?.purpose,
        resource,
      })),
    ],
    [
      "users.yaml",
      "One SCRAM user per script, with exactly the ACLs shared/kafka/acls.ts derives from its row " +
      "(`deno task kafka acls` prints the same table); the User Operator keeps each password in " +
      "a Secret named after the user.",
      [
        ...scripts.filter((s) => s.kafka).map((s) => ({
          comment: `${s.name}: ${s.summary}.`,
          resource: kafkaUser({ principal: s.name, ...s.kafka }),
        })),
        {
          comment: "KEDA reads the scaled groups' lag as this user: Describe, nothing more.",
          resource: reader.user,
        },
      ],
    ],
    [
      "workloads.yaml",
      `Each long-running script: a Deployment (image ${IMAGE}, from ./Containerfile) running ` +
      "`deno run` with its permissions from the service table, and a Service. The consumers need " +
      "a PostgreSQL shared by their replicas: create the Secret order-pipeline-database (key url).",
      deployed.flatMap((s) => [
        { comment: replicasComment(s), resource: deployment(s, scripts) },
        { resource: service(s) },
      ]),
    ],
    [
      "autoscaling.yaml",
      "KEDA: each consumer that may scale does so on its group's lag, up to its topics' partitions.",
      [
        {
          comment: "Not a credential: KEDA takes these parameters from a Secret.",
          resource: reader.settings,
        },
        {
          comment: "The password and the CA come from the Secrets Strimzi makes.",
          resource: reader.auth,
        },
        ...scaled.map((s) => ({
          comment: `${s.name}: ${scalingOf(s).why}.`,
          resource: scaledObject(s),
        })),
      ],
    ],
    ...(connectScript ? [connectFile(connectScript)] : []),
  ];
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: files.map(([name]) => name),
  };
  return [
    ...files.map(([name, title, docs]) => ({
      path: `${KUBERNETES_DIR}/${name}`,
      text: yamlFile(title, docs),
    })),
    {
      path: `${KUBERNETES_DIR}/kustomization.yaml`,
      // A kustomization is one document.
      text: `${
        fileHeader(
          "kubectl apply -k deploy/kubernetes (Strimzi and KEDA installed first). Point it at the " +
            `image you built from ./Containerfile and pushed: kustomize edit set image ` +
            `${IMAGE.split(":")[0]}=<registry>/order-pipeline:<tag>.`,
        )
      }\n${stringify(kustomization)}`,
    },
  ];
}
