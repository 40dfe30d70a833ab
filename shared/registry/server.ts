/**
 * A running schema registry: the Kafka-backed store, the state rebuilt from
 * it and the HTTP API, served with `Deno.serve`. Scripts, the demo and tests
 * embed it with one call and stop it with `close()`.
 *
 * @example
 * ```ts
 * import { startRegistry } from "./server.ts";
 * import { createLogger } from "../platform/log.ts";
 * const log = createLogger({ name: "schema-registry" });
 * const connection = { brokers: ["127.0.0.1:9092"], clientId: "schema-registry" };
 * const registry = await startRegistry({ connection, port: 0, log });
 * console.log(registry.url); // e.g. http://127.0.0.1:41234
 * await registry.close();
 *
 * // Secured: basic auth and TLS (PEM text); `url` then says https.
 * import { parseBasicAuthUsers } from "../platform/basic_auth.ts";
 * const secured = await startRegistry({
 *   connection,
 *   port: 0,
 *   users: parseBasicAuthUsers("alice:s3cret"),
 *   tls: { cert: Deno.readTextFileSync("registry.pem"), key: Deno.readTextFileSync("registry.key") },
 * });
 * await secured.close();
 * ```
 * @module
 */
import type { KafkaConnection } from "../kafka/connection.ts";
import { innermostMessage } from "../kafka/errors.ts";
import { TOPICS } from "../kafka/topics.ts";
import { type Logger, silentLogger } from "../platform/log.ts";
import type { BasicAuthUser } from "../platform/basic_auth.ts";
import { createRegistryHandler } from "./http.ts";
import { KafkaSchemaStore } from "./kafka_store.ts";
import { RegistryState } from "./state.ts";

export interface RegistryServerOptions {
  /** The cluster the schema log lives on. */
  connection: KafkaConnection;
  /** The registry's compacted topic; defaults to `_schemas`. */
  topic?: string;
  /** The address to listen on; defaults to 127.0.0.1. */
  hostname?: string;
  /** The port; 0 takes any free one. Defaults to 8081, Confluent's. */
  port?: number;
  log?: Logger;
  /** How long reading the topic at start may go without progress; defaults to 60 s. */
  loadTimeoutMs?: number;
  /** Basic auth: when set, only these users are served, others get 401. */
  users?: readonly BasicAuthUser[];
  /** TLS: the server's certificate chain and key, PEM text; serves https. */
  tls?: { cert: string; key: string };
}

export interface RunningRegistry {
  /** The base URL clients use, e.g. `http://127.0.0.1:8081` (https with `tls`). */
  readonly url: string;
  readonly port: number;
  /** Stops serving, then closes the Kafka clients. Safe to call twice. */
  close(): Promise<void>;
}

/** The schema log could not be opened or read: Kafka down, topic unusable. */
export class RegistryStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RegistryStartError";
  }
}

function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/**
 * Opens the store, rebuilds the state from the topic and starts serving.
 * Rejects with a {@linkcode RegistryStartError} when Kafka cannot be used.
 */
export async function startRegistry(options: RegistryServerOptions): Promise<RunningRegistry> {
  const topic = options.topic ?? TOPICS.schemas.name;
  const log = options.log ?? silentLogger;
  let store: KafkaSchemaStore;
  const state = new RegistryState();
  try {
    store = await KafkaSchemaStore.open({
      connection: options.connection,
      topic,
      log,
      loadTimeoutMs: options.loadTimeoutMs,
    });
  } catch (err) {
    throw new RegistryStartError(
      `cannot open the schema log (topic ${topic}) on Kafka: ${innermostMessage(err)}`,
      { cause: err },
    );
  }
  try {
    state.reset(await store.readAll());
  } catch (err) {
    await store.close();
    throw new RegistryStartError(
      `cannot read the schema log (topic ${topic}): ${innermostMessage(err)}`,
      { cause: err },
    );
  }
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const handler = createRegistryHandler({ state, journal: store, log, users: options.users });
    server = Deno.serve({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 8081,
      onListen: () => {},
      ...options.tls,
    }, handler);
  } catch (err) {
    await store.close();
    if (err instanceof Deno.errors.AddrInUse) throw err;
    throw new RegistryStartError(
      `cannot serve${options.tls ? " TLS (check the certificate and key PEM)" : ""}: ${
        (err as Error).message
      }`,
      { cause: err },
    );
  }
  const { hostname, port } = server.addr;
  const url = `${options.tls ? "https" : "http"}://${urlHost(hostname)}:${port}`;
  log.info("schema registry listening", {
    url,
    auth: options.users ? `basic (${options.users.length} users)` : "none",
    topic,
    subjects: state.subjects().length,
    maxId: state.maxId,
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        await server.shutdown();
        await store.close();
        log.info("schema registry stopped", { url });
      })();
      return closing;
    },
  };
}
