/**
 * No Kubernetes cluster runs here, so deploy/kubernetes/ is checked as
 * documents (the files on disk, parsed with a real YAML parser) against the
 * tables they come from, as tests/compose_test.ts checks compose.yaml: the
 * Strimzi cluster's shape, a KafkaTopic per topic with the table's
 * partitions and configs, a KafkaUser per principal with exactly the ACLs of
 * shared/kafka/acls.ts (translated here by a table of this test's own), a
 * Deployment per long-running script running its entry with its row's
 * permissions, env and ports, probed where it serves, a KEDA ScaledObject
 * per consumer that may scale, bounded by its topics' partitions, Kafka
 * Connect as the local worker runs it (its config, the connect user, the
 * pom's plugin versions, each connector's config equal to the product's
 * functions once its `${env:…}` references are resolved), and Secrets
 * referenced, never inlined. `deno task services --check`
 * (tests/script_permissions_test.ts) proves the files are the renderer's
 * current output; this proves what that output says.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { kafkaPrincipals, type ScriptEntry, SCRIPTS } from "../scripts/services.ts";
import { pipelineTopics } from "../scripts/topology.ts";
import { aclBindings } from "../shared/kafka/acls.ts";
import { TOPICS, type TopicSpec } from "../shared/kafka/topics.ts";
import { NOT_DEPLOYED } from "../deploy/kubernetes/workloads.ts";
import { connectConfig } from "../shared/connect/config.ts";
import {
  type DatabaseAddress,
  DEFAULT_OUTBOX,
  DEFAULT_STATUS_SINK,
  outboxSourceConfig,
  parseProperties,
  statusSinkConfig,
  workerProperties,
  workerTopics,
} from "../shared/connect/connectors.ts";

const DIR = new URL("../deploy/kubernetes/", import.meta.url);

/** A parsed resource: its fields are read as the test goes (it checks them, not their types). */
type Resource = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // deno-lint-ignore no-explicit-any
  [k: string]: any;
};

async function resources(file: string): Promise<Resource[]> {
  const docs = parseAllDocuments(await Deno.readTextFile(new URL(file, DIR)));
  return (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS()).filter(Boolean);
}

async function all(): Promise<Resource[]> {
  const kustomization = (await resources("kustomization.yaml"))[0];
  return (await Promise.all(kustomization.resources.map(resources))).flat();
}

const ofKind = (rs: Resource[], kind: string) => rs.filter((r) => r.kind === kind);
const named = (rs: Resource[], kind: string, name: string) =>
  rs.find((r) => r.kind === kind && r.metadata.name === name);
/** The Kubernetes spelling of a script or principal name. */
const k8s = (name: string) => name.replaceAll("_", "-");
/** Every script that listens, but those the folder says run otherwise (with the reason). */
const longRunning = SCRIPTS.filter((s) => s.ports.length > 0 && !(s.name in NOT_DEPLOYED));
/** A consumer that may scale: one group, and no transactional id shared by every instance. */
const mayScale = (s: ScriptEntry) =>
  s.kafka?.groups?.length === 1 && !s.kafka.transactionalIds?.length;

Deno.test("kubernetes: kustomization applies every manifest of the folder", async () => {
  const listed = (await resources("kustomization.yaml"))[0].resources.sort();
  const onDisk: string[] = [];
  for await (const e of Deno.readDir(DIR)) {
    if (e.name.endsWith(".yaml") && e.name !== "kustomization.yaml") onDisk.push(e.name);
  }
  assert.deepEqual(listed, onDisk.sort());
});

Deno.test("kubernetes: Strimzi Kafka is KRaft on three nodes, SCRAM-SHA-512 over TLS, simple authorization", async () => {
  const rs = await all();
  const [kafka] = ofKind(rs, "Kafka");
  assert.equal(ofKind(rs, "Kafka").length, 1);
  assert.equal(kafka.metadata.annotations?.["strimzi.io/node-pools"], "enabled");
  const pools = ofKind(rs, "KafkaNodePool");
  assert.equal(pools.reduce((n, p) => n + p.spec.replicas, 0), 3, "three nodes");
  for (const p of pools) {
    assert.equal(p.metadata.labels?.["strimzi.io/cluster"], kafka.metadata.name);
  }
  assert.ok(pools.some((p) => p.spec.roles.includes("controller")), "KRaft controllers");
  assert.ok(pools.some((p) => p.spec.roles.includes("broker")));
  const listeners = kafka.spec.kafka.listeners;
  assert.ok(listeners.length > 0);
  for (const l of listeners) {
    assert.equal(l.tls, true, `${l.name}: TLS`);
    assert.equal(l.authentication.type, "scram-sha-512", `${l.name}: SCRAM`);
  }
  assert.equal(kafka.spec.kafka.authorization.type, "simple");
  const config = kafka.spec.kafka.config;
  assert.equal(config["auto.create.topics.enable"], false);
  assert.equal(config["min.insync.replicas"], 2);
  assert.equal(config["offsets.topic.replication.factor"], 3);
  assert.equal(config["transaction.state.log.replication.factor"], 3);
  assert.equal(config["transaction.state.log.min.isr"], 2);
  assert.ok(kafka.spec.entityOperator.topicOperator && kafka.spec.entityOperator.userOperator);
});

Deno.test("kubernetes: a KafkaTopic per topic, with the table's partitions, replication 3, 2 in sync", async () => {
  const topics = ofKind(await all(), "KafkaTopic");
  const expected: TopicSpec[] = pipelineTopics();
  const connectInternal = Object.values(workerTopics(connectConfig.specs.groupId.default));
  assert.deepEqual(
    topics.map((t) => t.spec.topicName).sort(),
    [...expected.map((t) => t.name), ...connectInternal].sort(),
    "exactly the pipeline's topics and the Connect worker's",
  );
  for (const name of connectInternal) {
    const t = topics.find((r) => r.spec.topicName === name)!;
    assert.equal(
      t.spec.config["cleanup.policy"],
      "compact",
      `${name}: Connect requires compaction`,
    );
    assert.equal(t.spec.replicas, 3, name);
  }
  for (const spec of expected) {
    const t = topics.find((r) => r.spec.topicName === spec.name)!;
    assert.match(t.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, spec.name);
    assert.equal(t.spec.partitions, spec.partitions, `${spec.name}: partitions`);
    assert.equal(t.spec.replicas, 3, `${spec.name}: replicas`);
    assert.equal(t.spec.config["min.insync.replicas"], "2", `${spec.name}: min.insync.replicas`);
    assert.equal(t.spec.config["unclean.leader.election.enable"], "false");
    assert.equal(t.spec.config["cleanup.policy"], spec.cleanup, `${spec.name}: cleanup`);
    assert.equal(t.spec.config["retention.ms"], spec.retentionMs?.toString(), spec.name);
  }
  // What the product relies on being compacted: the aggregator's state, the registry's store.
  for (const name of [TOPICS.orderStats.name, TOPICS.schemas.name, "orders-dlq-replayed"]) {
    const t = topics.find((r) => r.spec.topicName === name)!;
    assert.equal(t.spec.config["cleanup.policy"], "compact", name);
  }
});

/** Kafka's ACL vocabulary in Strimzi's, written out here independently of the renderer. */
const STRIMZI_TYPE = {
  TOPIC: "topic",
  GROUP: "group",
  TRANSACTIONAL_ID: "transactionalId",
  CLUSTER: "cluster",
};
const STRIMZI_PATTERN = { LITERAL: "literal", PREFIXED: "prefix" };
const STRIMZI_OPERATION = {
  READ: "Read",
  WRITE: "Write",
  DESCRIBE: "Describe",
  IDEMPOTENT_WRITE: "IdempotentWrite",
};

/** A KafkaUser's rules as `type name pattern Operation` lines. */
function grants(user: Resource): string[] {
  // deno-lint-ignore no-explicit-any
  return user.spec.authorization.acls.flatMap((rule: any) => {
    assert.equal(rule.host, "*");
    const r = rule.resource;
    const where = r.type === "cluster" ? "cluster" : `${r.type} ${r.name} ${r.patternType}`;
    return rule.operations.map((op: string) => `${where} ${op}`);
  }).sort();
}

Deno.test("kubernetes: a KafkaUser per principal, SCRAM, with exactly its ACL table", async () => {
  const rs = await all();
  const principals = kafkaPrincipals();
  for (const access of principals) {
    const user = named(rs, "KafkaUser", k8s(access.principal));
    assert.ok(user, `KafkaUser ${k8s(access.principal)}`);
    assert.equal(user.spec.authentication.type, "scram-sha-512");
    assert.equal(user.spec.authorization.type, "simple");
    const expected = aclBindings(access).map((b) =>
      b.resourceType === "CLUSTER"
        ? `cluster ${STRIMZI_OPERATION[b.operation]}`
        : `${STRIMZI_TYPE[b.resourceType]} ${b.resourceName} ${STRIMZI_PATTERN[b.patternType]} ${
          STRIMZI_OPERATION[b.operation]
        }`
    ).sort();
    assert.deepEqual(grants(user), expected, `${access.principal}: its ACLs, exactly`);
  }
  // Transactional ids and groups are granted, by prefix where the table says so.
  const router = grants(named(rs, "KafkaUser", "inventory-orders-producer")!);
  assert.ok(router.includes("transactionalId inventory-orders-producer- prefix Write"));
  assert.ok(router.includes("group inventory-orders-producer literal Read"));
  // Besides the scripts' users, only KEDA's lag reader, which may only Describe.
  const others = ofKind(rs, "KafkaUser").filter((u) =>
    !principals.some((p) => k8s(p.principal) === u.metadata.name)
  );
  assert.deepEqual(others.map((u) => u.metadata.name), ["keda-lag-reader"]);
  for (const g of grants(others[0])) assert.match(g, /^(group|topic) \S+ literal Describe$/);
});

Deno.test("kubernetes: every long-running script is a Deployment running its entry under its permissions", async () => {
  const rs = await all();
  const bootstrap = `${ofKind(rs, "Kafka")[0].metadata.name}-kafka-bootstrap:9093`;
  assert.deepEqual(
    ofKind(rs, "Deployment").map((d) => d.metadata.name).sort(),
    longRunning.map((s) => k8s(s.name)).sort(),
  );
  for (const script of longRunning) {
    const name = k8s(script.name);
    const d = named(rs, "Deployment", name)!;
    const [c, ...more] = d.spec.template.spec.containers;
    assert.equal(more.length, 0, name);
    assert.deepEqual(c.command, ["deno", "run", ...script.permissions, script.entry], name);
    const env = new Map<string, { value?: string; valueFrom?: Resource }>(
      c.env.map((e: { name: string }) => [e.name, e]),
    );
    for (const variable of env.keys()) {
      assert.ok(script.env?.includes(variable), `${name}: ${variable} is not in its --allow-env`);
    }
    // Secret flags come from Secrets, never as text in the manifest.
    for (const [key, spec] of Object.entries(script.flags ?? {})) {
      if (spec.type === "string" && spec.secret && spec.env && env.has(spec.env)) {
        assert.ok(env.get(spec.env)!.valueFrom?.secretKeyRef, `${name}: ${key} by reference`);
      }
    }
    if (script.kafka) {
      assert.equal(env.get("KAFKA_BROKERS")?.value, bootstrap, name);
      assert.equal(env.get("KAFKA_SSL")?.value, "true", name);
      assert.equal(env.get("KAFKA_SASL_MECHANISM")?.value, "scram-sha-512", name);
      assert.equal(env.get("KAFKA_SASL_USERNAME")?.value, name, `${name}: its own principal`);
      assert.deepEqual(env.get("KAFKA_SASL_PASSWORD")?.valueFrom?.secretKeyRef, {
        name,
        key: "password",
      });
      const ca = env.get("KAFKA_SSL_CA_FILE")!.value!;
      const mount = c.volumeMounts.find((m: { mountPath: string }) => ca.startsWith(m.mountPath));
      assert.ok(mount, `${name}: the CA file is on a mounted volume`);
    }
    // Its ports, bound where a probe and the Service reach them.
    assert.deepEqual(
      c.ports.map((p: { containerPort: number }) => p.containerPort),
      script.ports.map((p) => p.port),
    );
    for (const p of script.ports) {
      const host = Object.values(script.flags ?? {}).find((f) =>
        f.env === p.env?.replace(/PORT$/, "HOST")
      );
      if (host?.env) assert.equal(env.get(host.env)?.value, "0.0.0.0", `${name}: ${host.env}`);
    }
    const portNumber = (ref: string) =>
      c.ports.find((p: { name: string }) => p.name === ref)?.containerPort;
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      assert.ok(probe, `${name}: probes`);
      if (script.scrape === "metricsPort") {
        assert.equal(probe.httpGet.path, "/metrics");
        assert.equal(
          portNumber(probe.httpGet.port),
          script.ports.find((p) => p.key === "metricsPort")!.port,
        );
      } else if (script.scrape === "port") {
        // /healthz stays open when the surface asks for credentials.
        assert.equal(probe.httpGet.path, "/healthz");
        assert.equal(
          portNumber(probe.httpGet.port),
          script.ports.find((p) => p.key === "port")!.port,
        );
      } else assert.ok(portNumber(probe.tcpSocket.port), `${name}: a port of its own`);
    }
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true);
    const svc = named(rs, "Service", name);
    assert.ok(svc, `Service ${name}`);
    assert.deepEqual(svc.spec.selector, d.spec.selector.matchLabels);
  }
});

Deno.test("kubernetes: KEDA scales each consumer that may on its group's lag, up to its partitions", async () => {
  const rs = await all();
  const scaled = ofKind(rs, "ScaledObject");
  const expected = longRunning.filter(mayScale);
  assert.deepEqual(
    scaled.map((s) => s.spec.scaleTargetRef.name).sort(),
    expected.map((s) => k8s(s.name)).sort(),
  );
  const bootstrap = `${ofKind(rs, "Kafka")[0].metadata.name}-kafka-bootstrap:9093`;
  for (const script of expected) {
    const so = scaled.find((s) => s.spec.scaleTargetRef.name === k8s(script.name))!;
    assert.ok(named(rs, "Deployment", so.spec.scaleTargetRef.name));
    const partitions: number[] = [];
    for (const t of so.spec.triggers) {
      assert.equal(t.type, "kafka");
      assert.equal(t.metadata.bootstrapServers, bootstrap);
      assert.equal(t.metadata.consumerGroup, script.kafka!.groups![0], script.name);
      assert.ok(script.kafka!.reads!.includes(t.metadata.topic), `${script.name} reads it`);
      assert.ok(Number(t.metadata.lagThreshold) > 0);
      const topic = Object.values(TOPICS).find((x) => x.name === t.metadata.topic)!;
      partitions.push(topic.partitions);
      const auth = named(rs, "TriggerAuthentication", t.authenticationRef.name);
      assert.ok(auth, `${script.name}: its TriggerAuthentication`);
      const params = auth.spec.secretTargetRef.map((r: { parameter: string }) => r.parameter);
      for (const p of ["sasl", "username", "password", "tls", "ca"]) assert.ok(params.includes(p));
    }
    assert.equal(so.spec.maxReplicaCount, Math.max(...partitions), `${script.name}: max replicas`);
    // The HPA owns the count of a scaled Deployment.
    assert.equal(named(rs, "Deployment", k8s(script.name))!.spec.replicas, undefined);
  }
  // A single writer runs alone, replaced not rolled, and the manifest says why.
  const text = await Deno.readTextFile(new URL("workloads.yaml", DIR));
  for (const script of longRunning.filter((s) => s.kafka?.transactionalIds?.length)) {
    const d = named(rs, "Deployment", k8s(script.name))!;
    assert.equal(d.spec.replicas, 1, script.name);
    assert.equal(d.spec.strategy.type, "Recreate", script.name);
    assert.match(text, new RegExp(`# ${script.name}: [^\\n]*\\n(# .*\\n)*# .*transactional id`));
  }
});

Deno.test("kubernetes: Secrets are referenced, never inlined", async () => {
  const rs = await all();
  const users = new Set(ofKind(rs, "KafkaUser").map((u) => u.metadata.name));
  const kafka = ofKind(rs, "Kafka")[0].metadata.name;
  // The one Secret of the manifests holds KEDA's settings, no credential.
  for (const s of ofKind(rs, "Secret")) {
    assert.equal(s.data, undefined, s.metadata.name);
    for (const key of Object.keys(s.stringData ?? {})) {
      assert.doesNotMatch(key, /password|token|secret|key/i, `${s.metadata.name}: ${key}`);
    }
  }
  const made = new Set(ofKind(rs, "Secret").map((s) => s.metadata.name));
  const refs: string[] = [];
  for (const d of ofKind(rs, "Deployment")) {
    for (const c of d.spec.template.spec.containers) {
      for (const e of c.env) {
        if (e.valueFrom?.secretKeyRef) refs.push(e.valueFrom.secretKeyRef.name);
        else assert.doesNotMatch(e.name, /PASSWORD|TOKEN|BASIC_AUTH|USER_INFO|AUTH_USERS/, e.name);
      }
    }
    for (const v of d.spec.template.spec.volumes) refs.push(v.secret.secretName);
  }
  for (const a of ofKind(rs, "TriggerAuthentication")) {
    for (const r of a.spec.secretTargetRef) refs.push(r.name);
  }
  for (const c of ofKind(rs, "KafkaConnect")) {
    refs.push(c.spec.authentication.passwordSecret.secretName);
    for (const t of c.spec.tls.trustedCertificates) refs.push(t.secretName);
    for (const e of c.spec.template.connectContainer.env) {
      assert.ok(e.valueFrom?.secretKeyRef, `${e.name}: from a Secret, not a value`);
      refs.push(e.valueFrom.secretKeyRef.name);
    }
  }
  for (const name of new Set(refs)) {
    const known = users.has(name) || made.has(name) || name === `${kafka}-cluster-ca-cert` ||
      name === "order-pipeline-database" || name.endsWith("-secrets") ||
      /^order-pipeline-(storefront|report)-database$/.test(name);
    assert.ok(known, `${name}: a Secret Strimzi makes, the manifests make, or the docs name`);
  }
});

Deno.test("kubernetes: the image is the compose Deno with what the scripts need", async () => {
  const text = await Deno.readTextFile(new URL("Containerfile", DIR));
  const compose = await Deno.readTextFile(new URL("../../compose.yaml", DIR));
  const deno = compose.match(/image: (denoland\/deno:[\d.]+)/)![1];
  assert.match(text, new RegExp(`^FROM ${deno.replaceAll(".", "\\.")}$`, "m"));
  assert.match(text, /deno install --frozen/);
  assert.match(text, /^USER deno$/m);
  for (const dir of new Set(longRunning.map((s) => s.entry.split("/")[0]))) {
    assert.match(text, new RegExp(`^COPY .* ${dir}/ ${dir}/$`, "m"), dir);
  }
  for (const s of longRunning.filter((s) => s.include)) {
    for (const path of s.include!) assert.match(text, new RegExp(`COPY .* ${path.split("/")[0]}/`));
  }
});

/** The KafkaConnect of connect.yaml, and its connectors. */
async function connectCluster(): Promise<{ cluster: Resource; connectors: Resource[] }> {
  const rs = await all();
  const clusters = ofKind(rs, "KafkaConnect");
  assert.equal(clusters.length, 1, "one Connect cluster");
  const connectors = ofKind(rs, "KafkaConnector").filter((c) =>
    c.metadata.labels?.["strimzi.io/cluster"] === clusters[0].metadata.name
  );
  assert.equal(connectors.length, ofKind(rs, "KafkaConnector").length, "every connector on it");
  return { cluster: clusters[0], connectors };
}

Deno.test("kubernetes: KafkaConnect runs the local worker's config as the connect user, over TLS", async () => {
  const rs = await all();
  const { cluster } = await connectCluster();
  assert.equal(cluster.metadata.annotations?.["strimzi.io/use-connector-resources"], "true");
  assert.ok(cluster.spec.replicas >= 1);
  const kafka = ofKind(rs, "Kafka")[0];
  const tls = kafka.spec.kafka.listeners.find((l: Resource) => l.tls);
  assert.equal(cluster.spec.bootstrapServers, `${kafka.metadata.name}-kafka-bootstrap:${tls.port}`);
  assert.deepEqual(cluster.spec.tls.trustedCertificates, [
    { secretName: `${kafka.metadata.name}-cluster-ca-cert`, certificate: "ca.crt" },
  ]);
  const auth = cluster.spec.authentication;
  assert.equal(auth.type, tls.authentication.type);
  assert.equal(auth.username, k8s("connect"), "the connect principal");
  assert.ok(named(rs, "KafkaUser", auth.username), "its KafkaUser");
  assert.deepEqual(auth.passwordSecret, { secretName: auth.username, password: "password" });
  // The local worker's properties, minus what Strimzi sets from the spec.
  const group = connectConfig.specs.groupId.default;
  const local = parseProperties(workerProperties({
    brokers: ["unused:1"],
    groupId: group,
    restHost: "unused",
    restPort: 1,
    pluginPath: "unused",
    replicationFactor: 3,
    clientProperties: {},
  }));
  const strimziSets = /^(bootstrap\.servers|listeners|plugin\.path|rest\.)/;
  for (const [key, value] of Object.entries(local)) {
    if (!strimziSets.test(key)) assert.equal(cluster.spec.config[key], value, key);
    else assert.equal(cluster.spec.config[key], undefined, `${key}: Strimzi's`);
  }
  const topics = workerTopics(group);
  assert.equal(cluster.spec.config["group.id"], group);
  assert.equal(cluster.spec.config["config.storage.topic"], topics.configs);
  assert.equal(cluster.spec.config["exactly.once.source.support"], "enabled");
});

/** `<artifactId>` → version of the dependencies of `profiles` in deploy/connect/pom.xml. */
async function pomVersions(profiles: string[]): Promise<Map<string, string>> {
  const pom = await Deno.readTextFile(new URL("../deploy/connect/pom.xml", import.meta.url));
  const properties = new Map(
    [...pom.matchAll(/<([a-z.]+\.version)>([^<]+)<\/\1>/g)].map((m) => [m[1], m[2]]),
  );
  const versions = new Map<string, string>();
  for (const [, id, body] of pom.matchAll(/<profile>\s*<id>([^<]+)<\/id>([\s\S]*?)<\/profile>/g)) {
    if (!profiles.includes(id)) continue;
    const deps = body.replace(/<exclusions>[\s\S]*?<\/exclusions>/g, "");
    for (
      const [, artifact, version] of deps.matchAll(
        /<artifactId>([^<]+)<\/artifactId>\s*<version>([^<]+)<\/version>/g,
      )
    ) {
      versions.set(artifact, version.replace(/^\$\{(.+)\}$/, (_, p) => properties.get(p)!));
    }
  }
  return versions;
}

Deno.test("kubernetes: KafkaConnect's plugins are the pom's Debezium connectors, same versions", async () => {
  const { cluster } = await connectCluster();
  const pom = await pomVersions(["postgres", "jdbc"]);
  assert.ok(pom.size > 0, "the pom's plugin profiles");
  const built = new Map<string, string>();
  for (const plugin of cluster.spec.build.plugins) {
    for (const a of plugin.artifacts) {
      assert.match(a.sha512sum, /^[0-9a-f]{128}$/, `${a.url}: pinned`);
      // Maven Central's layout: …/<group path>/<artifact>/<version>/<file>.
      const [artifact, version] = new URL(a.url).pathname.split("/").slice(-3, -1);
      assert.ok(a.url.startsWith("https://repo1.maven.org/maven2/"), a.url);
      built.set(artifact, version);
    }
  }
  for (const [artifact, version] of built) {
    if (pom.has(artifact)) assert.equal(version, pom.get(artifact), artifact);
  }
  for (const artifact of [...pom.keys()].filter((a) => a.startsWith("debezium-connector-"))) {
    assert.ok(built.has(artifact), `${artifact}: built into the image`);
  }
  assert.equal(built.get("debezium-connector-postgres"), pom.get("debezium-connector-postgres"));
  assert.equal(built.get("debezium-connector-jdbc"), pom.get("debezium-connector-jdbc"));
  assert.ok(cluster.spec.build.output.image, "an output image to replace");
});

Deno.test("kubernetes: each KafkaConnector's config is the product's, its database from a Secret", async () => {
  const { cluster, connectors } = await connectCluster();
  const env = new Map<string, { name: string; key: string }>(
    cluster.spec.template.connectContainer.env.map((
      e: Resource,
    ) => [e.name, e.valueFrom.secretKeyRef]),
  );
  assert.equal(cluster.spec.config["config.providers"], "env");
  assert.equal(
    cluster.spec.config["config.providers.env.class"],
    "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
  );
  // What each Secret would hold: one database per Secret, told apart by its fields.
  const databases = new Map<string, DatabaseAddress>();
  const databaseOf = (secret: string): DatabaseAddress => {
    if (!databases.has(secret)) {
      const n = databases.size + 1;
      databases.set(secret, {
        host: `db${n}.example`,
        port: 5432 + n,
        user: `user${n}`,
        password: `secret${n}`,
        name: `shop${n}`,
      });
    }
    return databases.get(secret)!;
  };
  const field = { host: "host", port: "port", user: "user", password: "password", dbname: "name" };
  const resolve = (value: string) =>
    value.replace(/\$\{env:([A-Za-z0-9_]+)\}/g, (_, name) => {
      const ref = env.get(name);
      assert.ok(ref, `${name}: an env variable of the pod`);
      const key = field[ref.key as keyof typeof field] as keyof DatabaseAddress;
      assert.ok(key, `${ref.name}: key ${ref.key} is a database field`);
      return String(databaseOf(ref.name)[key]);
    });
  const byName = new Map(connectors.map((c) => [c.metadata.name, c]));
  assert.deepEqual(
    [...byName.keys()].sort(),
    [DEFAULT_OUTBOX.connector, DEFAULT_STATUS_SINK.connector].sort(),
  );
  const applied = (c: Resource) => {
    for (const key of Object.keys(c.spec.config)) {
      if (/password/.test(key)) assert.match(c.spec.config[key], /^\$\{env:\w+\}$/, key);
    }
    return {
      "connector.class": c.spec.class,
      "tasks.max": String(c.spec.tasksMax),
      ...Object.fromEntries(
        Object.entries(c.spec.config as Record<string, string>).map(([k, v]) => [k, resolve(v)]),
      ),
    };
  };
  const outbox = applied(byName.get(DEFAULT_OUTBOX.connector)!);
  const sink = applied(byName.get(DEFAULT_STATUS_SINK.connector)!);
  const [source, report] = [...databases.values()];
  assert.deepEqual(
    outbox,
    outboxSourceConfig({
      ...DEFAULT_OUTBOX,
      database: source,
      ordersTopic: connectConfig.specs.ordersTopic.default,
    }),
  );
  assert.deepEqual(
    sink,
    statusSinkConfig({
      ...DEFAULT_STATUS_SINK,
      database: report,
      statusTopic: connectConfig.specs.statusTopic.default,
    }),
  );
  assert.notEqual(source, report, "two Secrets, one per database");
});
