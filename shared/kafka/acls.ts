/**
 * Least-privilege ACLs from what a script declares it touches: the topics
 * it reads and writes, its consumer groups, its transactional ids. One
 * declaration per script lives in scripts/services.ts; this module turns it
 * into ACL bindings, into `kafka-acls` command lines a user can run on their
 * own cluster, and into the admin call that applies them.
 *
 * What each declaration grants, and why:
 * - a topic read → Read (which implies Describe: metadata, offsets, lag);
 * - a topic written → Write (implies Describe);
 * - a consumer group → Read (join, commit, and the transactional offset commit);
 * - a group whose lag it shows → Describe;
 * - a transactional id (or prefix) → Write (implies Describe);
 * - any write → IdempotentWrite on the cluster (every producer here is idempotent).
 *
 * Nothing grants Create, Alter or Delete: on a secured cluster the
 * administrator creates the topics (`deno task kafka topics`).
 *
 * @example
 * ```ts
 * import { aclBindings, aclCommandLines } from "./acls.ts";
 * const bindings = aclBindings({ principal: "order_gateway", writes: ["orders"] });
 * console.log(aclCommandLines(bindings, { bootstrap: "127.0.0.1:9093" }).join("\n"));
 * ```
 * @module
 */
import {
  type Acl,
  AclOperations,
  AclPermissionTypes,
  ResourcePatternTypes,
  ResourceTypes,
} from "@platformatic/kafka";
import type { KafkaAdmin } from "./client.ts";

/** What one script touches on Kafka, by name. Prefixes cover names with a per-run suffix. */
export interface KafkaAccess {
  /** The SCRAM user the script connects as. */
  principal: string;
  reads?: readonly string[];
  writes?: readonly string[];
  groups?: readonly string[];
  groupPrefixes?: readonly string[];
  /** Groups whose committed offsets it only reads (lag), never joins. */
  describeGroups?: readonly string[];
  transactionalIds?: readonly string[];
  transactionalIdPrefixes?: readonly string[];
}

export type AclResource = "TOPIC" | "GROUP" | "TRANSACTIONAL_ID" | "CLUSTER";
export type AclOperation = "READ" | "WRITE" | "DESCRIBE" | "IDEMPOTENT_WRITE";
export type AclPattern = "LITERAL" | "PREFIXED";

/** One ALLOW rule, from any host. */
export interface AclBinding {
  principal: string;
  resourceType: AclResource;
  resourceName: string;
  patternType: AclPattern;
  operation: AclOperation;
}

/** The cluster resource's fixed name in Kafka's ACL model. */
export const CLUSTER_RESOURCE = "kafka-cluster";

/** Every ACL `access` needs, deduplicated, in a stable order. Pure. */
export function aclBindings(access: KafkaAccess): AclBinding[] {
  const principal = `User:${access.principal}`;
  const out: AclBinding[] = [];
  const add = (
    resourceType: AclResource,
    resourceName: string,
    operation: AclOperation,
    patternType: AclPattern = "LITERAL",
  ) => {
    if (
      !out.some((b) =>
        b.resourceType === resourceType && b.resourceName === resourceName &&
        b.operation === operation && b.patternType === patternType
      )
    ) out.push({ principal, resourceType, resourceName, patternType, operation });
  };
  for (const t of access.reads ?? []) add("TOPIC", t, "READ");
  for (const t of access.writes ?? []) add("TOPIC", t, "WRITE");
  for (const g of access.groups ?? []) add("GROUP", g, "READ");
  for (const g of access.groupPrefixes ?? []) add("GROUP", g, "READ", "PREFIXED");
  for (const g of access.describeGroups ?? []) add("GROUP", g, "DESCRIBE");
  for (const id of access.transactionalIds ?? []) add("TRANSACTIONAL_ID", id, "WRITE");
  for (const id of access.transactionalIdPrefixes ?? []) {
    add("TRANSACTIONAL_ID", id, "WRITE", "PREFIXED");
  }
  if ((access.writes ?? []).length > 0) add("CLUSTER", CLUSTER_RESOURCE, "IDEMPOTENT_WRITE");
  return out;
}

const CLI_OPERATION: Record<AclOperation, string> = {
  READ: "Read",
  WRITE: "Write",
  DESCRIBE: "Describe",
  IDEMPOTENT_WRITE: "IdempotentWrite",
};

const CLI_RESOURCE: Record<AclResource, string> = {
  TOPIC: "--topic",
  GROUP: "--group",
  TRANSACTIONAL_ID: "--transactional-id",
  CLUSTER: "--cluster",
};

/** The `kafka-acls` arguments that add one binding. Pure. */
export function aclCommandArgs(
  b: AclBinding,
  where: { bootstrap: string; commandConfig?: string },
): string[] {
  return [
    "--bootstrap-server",
    where.bootstrap,
    ...(where.commandConfig ? ["--command-config", where.commandConfig] : []),
    "--add",
    "--allow-principal",
    b.principal,
    "--operation",
    CLI_OPERATION[b.operation],
    ...(b.resourceType === "CLUSTER"
      ? ["--cluster"]
      : [CLI_RESOURCE[b.resourceType], b.resourceName]),
    ...(b.patternType === "PREFIXED" ? ["--resource-pattern-type", "prefixed"] : []),
  ];
}

/** One `kafka-acls.sh …` line per binding, for a user's own cluster. Pure. */
export function aclCommandLines(
  bindings: readonly AclBinding[],
  where: { bootstrap: string; commandConfig?: string },
): string[] {
  const quote = (a: string) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
  return bindings.map((b) => ["kafka-acls.sh", ...aclCommandArgs(b, where)].map(quote).join(" "));
}

/** A readable table: principal, operation, resource, pattern. Pure. */
export function aclTable(bindings: readonly AclBinding[]): string {
  const rows = bindings.map((b) => [
    b.principal,
    CLI_OPERATION[b.operation],
    b.resourceType === "CLUSTER" ? "cluster" : `${b.resourceType.toLowerCase()} ${b.resourceName}`,
    b.patternType === "PREFIXED" ? "prefix" : "exact",
  ]);
  const header = ["principal", "operation", "resource", "match"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

/** One binding as the admin client's createAcls and deleteAcls take it: allowed from any host. */
function clientAcl(b: AclBinding): Acl {
  return {
    resourceType: ResourceTypes[b.resourceType],
    resourceName: b.resourceName,
    resourcePatternType: ResourcePatternTypes[b.patternType],
    principal: b.principal,
    host: "*",
    operation: AclOperations[b.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** Applies `bindings` with an administrator's admin client (creating an existing ACL is a no-op). */
export async function applyAcls(admin: KafkaAdmin, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await admin.createAcls({ creations: bindings.map(clientAcl) });
}

/** Removes `bindings` (tests use it to take one ACL away). */
export async function removeAcls(
  admin: KafkaAdmin,
  bindings: readonly AclBinding[],
): Promise<void> {
  if (bindings.length === 0) return;
  await admin.deleteAcls({ filters: bindings.map(clientAcl) });
}
