/**
 * The manifest of a local cluster: a JSON file in its run folder naming its
 * bootstrap, each node (address, pid, log, whether it runs) and, when
 * secured, the CA, the credentials and the administrator's client
 * properties. It is rewritten whenever a node starts or exits; tests and
 * `deno task verify --chaos` read it.
 *
 * @example
 * ```ts
 * import { clusterManifest } from "./cluster_manifest.ts";
 * const manifest = clusterManifest("127.0.0.1:9092", [
 *   { id: 1, address: "127.0.0.1:9092", pid: 4242, logFile: "/run/node-1/broker.log", running: true },
 * ]);
 * console.log(JSON.stringify(manifest));
 * ```
 * @module
 */
import type { ClusterSecurity } from "./cluster_security.ts";
import type { LocalNode } from "./local_kafka.ts";

/** What the manifest file holds; read by tests and `deno task verify --chaos`. */
export interface ClusterManifest {
  bootstrap: string;
  nodes: { id: number; address: string; pid: number; logFile: string; running: boolean }[];
  caFile?: string;
  credentialsFile?: string;
  adminPropertiesFile?: string;
}

/** The files of a secured cluster the manifest names. */
export type ManifestSecurity = Pick<
  ClusterSecurity,
  "caFile" | "credentialsFile" | "adminPropertiesFile"
>;

/** The manifest of `nodes` as they are now (their pids and states copied). Pure. */
export function clusterManifest(
  bootstrap: string,
  nodes: readonly LocalNode[],
  security?: ManifestSecurity,
): ClusterManifest {
  return {
    bootstrap,
    nodes: nodes.map((n) => ({
      id: n.id,
      address: n.address,
      pid: n.pid,
      logFile: n.logFile,
      running: n.running,
    })),
    caFile: security?.caFile,
    credentialsFile: security?.credentialsFile,
    adminPropertiesFile: security?.adminPropertiesFile,
  };
}

/** Writes `manifest` to `file` as indented JSON. */
export async function writeClusterManifest(file: string, manifest: ClusterManifest): Promise<void> {
  await Deno.writeTextFile(file, JSON.stringify(manifest, null, 2) + "\n");
}
