/**
 * What the test suite needs on the machine besides Deno and the npm
 * packages, in one table: each program, what it is for, where it is looked
 * for and the Debian package that provides it. `deno task test` checks the
 * table first and, when something is missing, says so in one line with the
 * command that installs it (scripts/dev/run_tests.ts); `.ci/run` installs
 * exactly the packages this table names (scripts/dev/prerequisites.ts
 * `--debian-packages`); the README's list says the same in prose.
 *
 * The check is pure ({@linkcode missingFor}, {@linkcode missingLine}); the
 * machine is read by {@linkcode probeMachine}.
 *
 * @example
 * ```ts
 * import { missingFor, missingLine, PREREQUISITES } from "./prerequisites.ts";
 * const absent = missingFor(PREREQUISITES, (p) => p.name !== "Chromium", ["tests/dashboard_test.ts"]);
 * missingLine(absent);
 * // "deno task test needs Chromium (the dashboard's browser test) at /usr/bin/chromium or
 * //  CHROMIUM_PATH: install it with `apt-get install chromium`"
 * ```
 * @module
 */

/** How a prerequisite is found. */
export type Probe =
  /** A program on PATH. */
  | { kind: "command"; command: string }
  /** A file at a fixed path, or the path an env var names. */
  | { kind: "file"; path: string; env?: string }
  /** PostgreSQL's server binaries: /usr/lib/postgresql/<version>/bin, or PG_BIN_DIR. */
  | { kind: "postgres" };

export interface Prerequisite {
  name: string;
  /** What the suite uses it for, in a few words. */
  purpose: string;
  probe: Probe;
  /** The Debian package that provides it. */
  debianPackage: string;
  /**
   * The test paths (prefixes) that need it; absent when every run does. A
   * run of only other paths does not ask for it.
   */
  neededBy?: string[];
}

/** Everything `deno task test` needs, in the order it is checked. */
export const PREREQUISITES: readonly Prerequisite[] = [
  {
    name: "Java",
    purpose: "the local Apache Kafka, Kafka Connect and Kafka's own tools, the tests' oracle",
    probe: { kind: "command", command: "java" },
    debianPackage: "openjdk-17-jre-headless",
  },
  {
    name: "Maven",
    purpose: "fetches Apache Kafka and the connectors from Maven Central, once",
    probe: { kind: "command", command: "mvn" },
    debianPackage: "maven",
  },
  {
    name: "openssl",
    purpose: "the secured cluster's CA and certificates",
    probe: { kind: "command", command: "openssl" },
    debianPackage: "openssl",
  },
  {
    name: "kill",
    purpose: "the SIGKILL tests",
    probe: { kind: "command", command: "kill" },
    debianPackage: "procps",
  },
  {
    name: "PostgreSQL's server",
    purpose: "the store's second backend, started from its binaries",
    probe: { kind: "postgres" },
    debianPackage: "postgresql",
  },
  {
    name: "Chromium",
    purpose: "the dashboard's browser test",
    probe: { kind: "file", path: "/usr/bin/chromium", env: "CHROMIUM_PATH" },
    debianPackage: "chromium",
    neededBy: ["tests/dashboard_test.ts"],
  },
  {
    name: "Prometheus",
    purpose: "the scrape test",
    probe: { kind: "file", path: "/usr/bin/prometheus" },
    debianPackage: "prometheus",
    neededBy: ["tests/prometheus_scrape_test.ts"],
  },
];

/** Whether a run of `paths` (none: the whole suite) needs `p`. Pure. */
export function neededFor(p: Prerequisite, paths: readonly string[]): boolean {
  if (!p.neededBy || paths.length === 0) return true;
  const norm = (s: string) => s.replace(/^\.\//, "").replace(/\/$/, "");
  return paths.map(norm).some((path) =>
    p.neededBy!.some((need) =>
      need === path || need.startsWith(`${path}/`) || path.startsWith(`${need}/`)
    )
  );
}

/** The prerequisites a run of `paths` needs and `present` says are absent. Pure. */
export function missingFor(
  table: readonly Prerequisite[],
  present: (p: Prerequisite) => boolean,
  paths: readonly string[] = [],
): Prerequisite[] {
  return table.filter((p) => neededFor(p, paths) && !present(p));
}

/** Where a prerequisite is looked for, for the message. Pure. */
export function whereLooked(probe: Probe): string {
  switch (probe.kind) {
    case "command":
      return `(\`${probe.command}\` on PATH)`;
    case "file":
      return `at ${probe.path}${probe.env ? ` or ${probe.env}` : ""}`;
    case "postgres":
      return "(initdb and pg_ctl in /usr/lib/postgresql/*/bin or PG_BIN_DIR)";
  }
}

/** One line naming what is missing and how to install it; "" when nothing is. Pure. */
export function missingLine(missing: readonly Prerequisite[]): string {
  if (missing.length === 0) return "";
  const what = missing.map((p) => `${p.name} (${p.purpose}) ${whereLooked(p.probe)}`);
  const packages = [...new Set(missing.map((p) => p.debianPackage))].join(" ");
  const them = missing.length === 1 ? "it" : "them";
  return `deno task test needs ${
    what.join("; ")
  }: install ${them} with \`apt-get install ${packages}\``;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Whether the machine has `p`, by looking (nothing is run): PATH's folders,
 * the file or its env override, PostgreSQL's Debian layout. Needs
 * `--allow-read` and `--allow-env`.
 */
export function probeMachine(p: Prerequisite): boolean {
  const probe = p.probe;
  switch (probe.kind) {
    case "command":
      return (envVar("PATH") ?? "").split(":").filter(Boolean)
        .some((dir) => isExecutable(`${dir}/${probe.command}`));
    case "file": {
      const override = probe.env ? envVar(probe.env) : undefined;
      return isExecutable(override ?? probe.path);
    }
    case "postgres": {
      // findPostgres (./local_postgres.ts) searches the same way, but that module loads npm's
      // pg, and this one must run before `deno install` (.ci/run).
      const has = (dir: string) => isExecutable(`${dir}/initdb`) && isExecutable(`${dir}/pg_ctl`);
      const fromEnv = envVar("PG_BIN_DIR");
      if (fromEnv) return has(fromEnv);
      try {
        return [...Deno.readDirSync("/usr/lib/postgresql")]
          .some((e) => has(`/usr/lib/postgresql/${e.name}/bin`));
      } catch {
        return false;
      }
    }
  }
}
