/**
 * The connector plugins as Maven Central artifacts, for a Connect image
 * built elsewhere (Strimzi's `KafkaConnect` build, deploy/kubernetes/connect.ts).
 * The local worker resolves the same versions with Maven from
 * deploy/connect/pom.xml (./install.ts); tests/kubernetes_test.ts fails when
 * a version here differs from the pom's.
 *
 * Each plugin is Debezium's own plugin archive (`-plugin.tar.gz`): Maven
 * cannot resolve the JDBC sink's dependencies from Maven Central (it
 * declares `org.hibernate:hibernate-agroal`, which Central does not serve;
 * the pom excludes it, an image build cannot), and the archives hold what
 * the local plugin folders hold (the Kafka 4.3 jars the connectors were
 * built against, no Jackson of their own). The sink also gets HikariCP, the
 * pool its config names (`connection.provider`, ./connectors.ts). Every
 * file is pinned by its SHA-512, taken from Maven Central.
 *
 * @example
 * ```ts
 * import { CONNECTOR_PLUGINS, mavenCentralUrl } from "./plugins.ts";
 * const [postgres] = CONNECTOR_PLUGINS;
 * mavenCentralUrl(postgres.artifacts[0]);
 * // "https://repo1.maven.org/maven2/io/debezium/debezium-connector-postgres/3.6.1.Final/debezium-connector-postgres-3.6.1.Final-plugin.tar.gz"
 * ```
 * @module
 */

/** One file of Maven Central, by its coordinates. */
export interface MavenArtifact {
  group: string;
  artifact: string;
  version: string;
  /** `plugin` for Debezium's plugin archive; none for the main jar. */
  classifier?: string;
  extension: "jar" | "tar.gz";
  sha512: string;
}

/** A connector plugin: its folder's name and the files it is made of. */
export interface ConnectorPlugin {
  name: string;
  /** The profile of deploy/connect/pom.xml that makes the same plugin locally. */
  profile: string;
  artifacts: readonly MavenArtifact[];
}

export const MAVEN_CENTRAL = "https://repo1.maven.org/maven2";

/** The two plugins the connectors of ./connectors.ts run on. */
export const CONNECTOR_PLUGINS: readonly ConnectorPlugin[] = [
  {
    name: "debezium-postgres",
    profile: "postgres",
    artifacts: [{
      group: "io.debezium",
      artifact: "debezium-connector-postgres",
      version: "3.6.1.Final",
      classifier: "plugin",
      extension: "tar.gz",
      sha512: "774f6854a6c1c9a7ad3bdb6ddd367e9479a0b80e511ea27fc361320a955f9bf5" +
        "7a72393ff0e045b868b63589e7e16c27266cda296d9b1419bb071e914ee4d212",
    }],
  },
  {
    name: "debezium-jdbc",
    profile: "jdbc",
    artifacts: [
      {
        group: "io.debezium",
        artifact: "debezium-connector-jdbc",
        version: "3.6.0.Final",
        classifier: "plugin",
        extension: "tar.gz",
        sha512: "7ce615b4b41d029226b03722b0acaee61bc18c5335faa3d4ca23f80d3217f3f9" +
          "e08f296ad9e17fd08918101d51159480444cf8cc833b0ab1f73ac198a4877dc4",
      },
      {
        group: "org.hibernate.orm",
        artifact: "hibernate-hikaricp",
        version: "7.2.5.Final",
        extension: "jar",
        sha512: "4d8c765ce15d228b4a47c4a245c3e0e88412fd3d353c11ea1c9386ac8fbbd439" +
          "7573a7550f4152ffeeef7065745e7d78bfbdd0e61d6376c5b58f4f2545ea8f23",
      },
      {
        // hibernate-hikaricp 7.2.5.Final's runtime dependency; not named by the pom.
        group: "com.zaxxer",
        artifact: "HikariCP",
        version: "7.0.2",
        extension: "jar",
        sha512: "fab69440ecf96687ac9cd69d19503a824f7bec74d97329ee6f8568981200799a" +
          "1503df5517b9e0322a8d139fc71d6af193314890716ff8f0fd52163dad6f0c6c",
      },
    ],
  },
];

/** Where `a` is on Maven Central (the repository's path layout). Pure. */
export function mavenCentralUrl(a: MavenArtifact): string {
  const file = `${a.artifact}-${a.version}${a.classifier ? `-${a.classifier}` : ""}.${a.extension}`;
  return `${MAVEN_CENTRAL}/${a.group.replaceAll(".", "/")}/${a.artifact}/${a.version}/${file}`;
}
