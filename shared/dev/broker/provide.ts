/**
 * One way to get a Kafka broker, shared by the demo, the test runner and
 * the benchmark:
 *
 * 1. `KAFKA_BROKERS` is set → that cluster, as it is;
 * 2. else a Docker engine answers → a Kafka container via Testcontainers;
 * 3. else → a local Apache Kafka JVM process (./local_kafka.ts).
 *
 * The choice and its reason are logged.
 *
 * @example
 * ```ts
 * import { provideBroker } from "./provide.ts";
 * import { createLogger } from "../../platform/log.ts";
 * const broker = await provideBroker({ log: createLogger({ name: "demo" }) });
 * console.log(broker.kind, broker.brokers);
 * await broker.stop();
 * ```
 * @module
 */
import type { Logger } from "../../platform/log.ts";
import { type KafkaInstall, type LocalKafka, startLocalKafka } from "./local_kafka.ts";

export type BrokerKind = "env" | "testcontainers" | "local";

/** What to start, and why; the pure half of {@linkcode provideBroker}. */
export interface BrokerChoice {
  kind: BrokerKind;
  reason: string;
}

/** Picks the broker source from what the environment offers. Pure. */
export function chooseBroker(facts: {
  kafkaBrokers?: string;
  dockerAnswers: boolean;
  dockerDisabled?: boolean;
}): BrokerChoice {
  if (facts.kafkaBrokers?.trim()) {
    return { kind: "env", reason: `KAFKA_BROKERS is set (${facts.kafkaBrokers.trim()})` };
  }
  if (facts.dockerAnswers && !facts.dockerDisabled) {
    return { kind: "testcontainers", reason: "KAFKA_BROKERS is unset and a Docker engine answers" };
  }
  return {
    kind: "local",
    reason: facts.dockerDisabled
      ? "KAFKA_BROKERS is unset and Docker is disabled (PIPELINE_NO_DOCKER)"
      : "KAFKA_BROKERS is unset and no Docker engine answers",
  };
}

/** A broker to use, however it was obtained. */
export interface ProvidedBroker extends BrokerChoice {
  brokers: string[];
  /** The local broker, when kind is "local" (its log, pid, tools). */
  local?: LocalKafka;
  /** Stops what this call started; a no-op for an external cluster. */
  stop(): Promise<void>;
}

/**
 * Asks the Docker engine's socket for `/_ping`. Only a unix socket is tried
 * (DOCKER_HOST=unix://… or the default path); anything else counts as no.
 */
export async function dockerAnswers(socketPath = dockerSocketPath()): Promise<boolean> {
  if (!socketPath) return false;
  let conn: Deno.UnixConn | undefined;
  try {
    conn = await Deno.connect({ transport: "unix", path: socketPath });
    await conn.write(new TextEncoder().encode("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"));
    const buf = new Uint8Array(256);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((r) => timer = setTimeout(() => r(null), 2000));
    const n = await Promise.race([conn.read(buf), timeout]).finally(() => clearTimeout(timer));
    return typeof n === "number" && new TextDecoder().decode(buf.subarray(0, n)).includes(" 200 ");
  } catch {
    return false;
  } finally {
    try {
      conn?.close();
    } catch { /* closed */ }
  }
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function dockerSocketPath(): string | undefined {
  const host = env("DOCKER_HOST");
  if (host) return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
  return "/var/run/docker.sock";
}

/** The Kafka image Testcontainers runs (Confluent's build of Apache Kafka 4.x, KRaft). */
export const KAFKA_CONTAINER_IMAGE = "confluentinc/cp-kafka:8.0.0";

async function startContainer(log: Logger): Promise<{ brokers: string[]; stop(): Promise<void> }> {
  // Imported only on this path: machines without Docker never load it.
  const { KafkaContainer } = await import("@testcontainers/kafka");
  const container = await new KafkaContainer(KAFKA_CONTAINER_IMAGE).withKraft().start();
  const bootstrap = `${container.getHost()}:${container.getMappedPort(9093)}`;
  log.info("Kafka container started", { image: KAFKA_CONTAINER_IMAGE, bootstrap });
  return {
    brokers: [bootstrap],
    stop: async () => {
      await container.stop();
    },
  };
}

/** Provides a broker as the module doc describes, and logs the choice. */
export async function provideBroker(options: {
  log: Logger;
  cacheDir?: string;
  heapMb?: number;
  /** Nodes of the local cluster (1 by default); the other branches ignore it. */
  nodes?: number;
}): Promise<ProvidedBroker> {
  const { log } = options;
  const kafkaBrokers = env("KAFKA_BROKERS");
  const dockerDisabled = env("PIPELINE_NO_DOCKER") === "1";
  const choice = chooseBroker({
    kafkaBrokers,
    dockerDisabled,
    dockerAnswers: kafkaBrokers || dockerDisabled ? false : await dockerAnswers(),
  });
  log.info("broker chosen", { ...choice });
  switch (choice.kind) {
    case "env":
      return {
        ...choice,
        brokers: kafkaBrokers!.split(",").map((s) => s.trim()).filter(Boolean),
        stop: () => Promise.resolve(),
      };
    case "testcontainers":
      return { ...choice, ...await startContainer(log) };
    case "local": {
      const local = await startLocalKafka({
        log,
        cacheDir: options.cacheDir,
        heapMb: options.heapMb,
        nodes: options.nodes,
      });
      return { ...choice, brokers: local.bootstrap.split(","), local, stop: () => local.stop() };
    }
  }
}

export type { KafkaInstall };
