/**
 * Fetches the Kafka Connect worker and its connector plugins from Maven
 * Central (deploy/connect/pom.xml) into the git-ignored cache the local
 * broker uses (`.cache/`, or KAFKA_CACHE_DIR), once: the runtime's jars in
 * `connect/<version>/libs`, and one folder per plugin under
 * `connect/<version>/plugins`, which is the worker's `plugin.path` (each
 * plugin loads in its own classloader). A plugin keeps the Kafka jars it was
 * built against: Connect loads Kafka's classes from the worker first, and
 * falls back to the plugin's own only for one the worker's Kafka no longer
 * has (Debezium 3.6 uses `org.apache.kafka.common.utils.Sanitizer`, gone from
 * Kafka 4.4). Warm calls only check marker files.
 *
 * @example
 * ```ts ignore
 * import { provisionConnect } from "./install.ts";
 * import { createLogger } from "../platform/log.ts";
 * const install = await provisionConnect({ log: createLogger({ name: "connect" }) });
 * install.classpath; // …/.cache/connect/4.4.0/libs/*
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Logger } from "../platform/log.ts";
import { defaultCacheDir, KAFKA_VERSION, requireJava } from "../dev/broker/local_kafka.ts";
import { exists } from "../dev/run_folders.ts";

const POM = fromFileUrl(new URL("../../deploy/connect/pom.xml", import.meta.url));

/** One part of the install: a profile of the pom and the folder it fills. */
export interface ConnectPart {
  profile: string;
  /** Relative to the install's folder. */
  dir: string;
  what: string;
  /**
   * Jars a plugin takes from the worker instead (Maven's `-DexcludeArtifactIds`):
   * Jackson's, whose service files the worker's classpath also lists, so that
   * a plugin's own copy would make the worker's Jackson modules "not a subtype".
   */
  fromWorker?: readonly string[];
}

const JACKSON = ["jackson-databind", "jackson-core", "jackson-annotations"];

/** The worker and its two plugins (one folder each under `plugins/`). */
export const CONNECT_PARTS: readonly ConnectPart[] = [
  { profile: "worker", dir: "libs", what: "the Kafka Connect worker" },
  {
    profile: "postgres",
    dir: "plugins/debezium-postgres",
    what: "Debezium's PostgreSQL source",
    fromWorker: JACKSON,
  },
  {
    profile: "jdbc",
    dir: "plugins/debezium-jdbc",
    what: "Debezium's JDBC sink",
    fromWorker: JACKSON,
  },
];

/** Where a provisioned worker lives in the cache. */
export interface ConnectInstall {
  dir: string;
  /** The `-cp` argument: every jar of the runtime. */
  classpath: string;
  /** The worker's `plugin.path`. */
  pluginPath: string;
}

/** The install's paths under `cacheDir`. Pure. */
export function connectInstallOf(cacheDir: string): ConnectInstall {
  const dir = join(cacheDir, "connect", KAFKA_VERSION);
  return { dir, classpath: join(dir, "libs", "*"), pluginPath: join(dir, "plugins") };
}

/** A missing prerequisite or a failed fetch, in one sentence (with the log's path). */
export class ConnectInstallError extends Error {
  constructor(message: string, readonly logFile?: string) {
    super(logFile ? `${message} (log: ${logFile})` : message);
    this.name = "ConnectInstallError";
  }
}

/** Makes sure every part is in the cache, fetching what is missing with Maven. */
export async function provisionConnect(
  options: { log: Logger; cacheDir?: string },
): Promise<ConnectInstall> {
  const install = connectInstallOf(options.cacheDir ?? defaultCacheDir());
  for (const part of CONNECT_PARTS) await provisionPart(install, part, options.log);
  return install;
}

async function provisionPart(install: ConnectInstall, part: ConnectPart, log: Logger) {
  const outputDir = join(install.dir, part.dir);
  const marker = join(outputDir, ".complete");
  if (await exists(marker)) return;
  await requireJava();
  await Deno.mkdir(outputDir, { recursive: true });
  const logFile = join(install.dir, `provision-${part.profile}.log`);
  // Maven reads the pom from disk: a copy beside the jars also serves a
  // compiled binary, which carries the pom inside (`deno compile --include`).
  const pom = join(install.dir, "pom.xml");
  await Deno.writeTextFile(pom, await Deno.readTextFile(POM));
  log.info(`fetching ${part.what} from Maven Central (first run only)`, { into: outputDir });
  const started = performance.now();
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("mvn", {
      args: [
        "-B",
        "-f",
        pom,
        "-P",
        part.profile,
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        ...(part.fromWorker ? [`-DexcludeArtifactIds=${part.fromWorker.join(",")}`] : []),
        `-DoutputDirectory=${outputDir}`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConnectInstallError(
        "Maven (`mvn`) is needed once, to fetch Kafka Connect and Debezium from Maven Central: " +
          "install it (e.g. `apt-get install maven`)",
      );
    }
    throw err;
  }
  await Deno.writeFile(logFile, new Uint8Array([...output.stdout, ...output.stderr]));
  if (!output.success) {
    throw new ConnectInstallError(
      `Maven could not fetch ${part.what} (is Maven Central reachable?)`,
      logFile,
    );
  }
  await Deno.writeTextFile(marker, new Date().toISOString() + "\n");
  log.info(`${part.what} fetched`, {
    seconds: Math.round((performance.now() - started) / 100) / 10,
  });
}
