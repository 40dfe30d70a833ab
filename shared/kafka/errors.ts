/**
 * Bad credentials and missing permissions, said in one line that names what
 * to fix: the mechanism and user of a refused login, the setting a TLS
 * problem needs, the principal, operation and resource an ACL lacks.
 * kafkajs reports these as a chain of retries and a protocol error type;
 * a user needs the sentence instead.
 *
 * @example
 * ```ts
 * import { describeKafkaError, isFatalKafkaError } from "./errors.ts";
 * const err = Object.assign(new Error("SASL SCRAM SHA512 authentication failed"), {
 *   name: "KafkaJSSASLAuthenticationError",
 * });
 * isFatalKafkaError(err); // true
 * describeKafkaError(err, { brokers: ["b:9093"], sasl: { mechanism: "scram-sha-512", username: "u" } });
 * ```
 * @module
 */
import { topicOffsets } from "./admin.ts";
import type { KafkaAdmin } from "./client.ts";

/** What the message may name: where we connected, and as whom. */
export interface ErrorContext {
  brokers?: readonly string[];
  ssl?: unknown;
  sasl?: { mechanism: string; username: string };
}

/** What a principal was meant to have, to name the denied resource. */
export interface DeniedResource {
  operation: string;
  resource: string;
}

/** A kafkajs error and the ones it wraps (causes, an aggregate's members), outermost first. */
function chain(err: unknown): { name: string; message: string; type?: string }[] {
  type Wrapped = {
    name?: string;
    message?: string;
    type?: string;
    apiId?: string;
    originalError?: unknown;
    cause?: unknown;
    errors?: unknown[];
  };
  const out: { name: string; message: string; type?: string }[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift() as Wrapped | undefined;
    if (!e) continue;
    // kafkajs names the broker's error `type`, @platformatic/kafka `apiId`.
    out.push({
      name: String(e.name ?? ""),
      message: String(e.message ?? e),
      type: e.type ?? e.apiId,
    });
    queue.push(e.originalError ?? e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return out;
}

/** The broker's error names in `err`'s chain (UNKNOWN_TOPIC_OR_PARTITION, …), outermost first. Pure. */
export function kafkaErrorTypes(err: unknown): string[] {
  return chain(err).flatMap((e) => e.type ? [e.type] : []);
}

const AUTHORIZATION_TYPES = [
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
] as const;
export type AuthorizationType = typeof AUTHORIZATION_TYPES[number];

/** The authorization error type in `err`'s chain, if any. Pure. */
export function authorizationType(err: unknown): AuthorizationType | undefined {
  for (const e of chain(err)) {
    const t = AUTHORIZATION_TYPES.find((a) => e.type === a || e.message.includes(a));
    if (t) return t;
    if (/not authorized to access topics/i.test(e.message)) return "TOPIC_AUTHORIZATION_FAILED";
    if (/not authorized to access group/i.test(e.message)) return "GROUP_AUTHORIZATION_FAILED";
    if (/transactional id authorization/i.test(e.message)) {
      return "TRANSACTIONAL_ID_AUTHORIZATION_FAILED";
    }
  }
  return undefined;
}

type Kind = "sasl" | "tls-untrusted" | "tls-mismatch" | "tls-expired" | "authorization";

function kindOf(err: unknown): Kind | undefined {
  if (authorizationType(err)) return "authorization";
  for (const e of chain(err)) {
    if (
      /SASLAuthentication|SASL .*authentication failed|invalid credentials/i.test(
        `${e.name} ${e.message}`,
      )
    ) return "sasl";
    // The name and the date first: a CA file fixes neither.
    if (
      /NotValidForName|altnames|hostname\/IP does not match|ERR_TLS_CERT_ALTNAME/i.test(e.message)
    ) {
      return "tls-mismatch";
    }
    // A certificate's dates only: a transaction or a session can expire too.
    if (
      /certificate has expired|peer certificate: Expired|NotValidYet|CERT_HAS_EXPIRED/i.test(
        e.message,
      )
    ) return "tls-expired";
    if (
      /self[- ]signed|unable to (verify|get local issuer)|certificate verify|UNABLE_TO_VERIFY|DEPTH_ZERO|unknown ?issuer|invalid peer certificate|UnknownIssuer/i
        .test(e.message)
    ) return "tls-untrusted";
  }
  return undefined;
}

/**
 * The innermost message of `err` (its last cause or member): what actually
 * failed, where the outer ones say only "Listing topics failed." Pure.
 */
export function innermostMessage(err: unknown): string {
  const messages = chain(err).map((e) => e.message).filter(Boolean);
  return messages[messages.length - 1] ?? String(err);
}

/**
 * Whether retrying cannot help: a refused login, an untrusted certificate, a
 * missing ACL. Scripts stop on these instead of retrying forever. Pure.
 */
export function isFatalKafkaError(err: unknown): boolean {
  return kindOf(err) !== undefined;
}

/**
 * One line for `err`, naming what to fix. `denied` names the resource a
 * principal lacks when the caller could find it (see `findDeniedResource`).
 * Pure.
 */
export function describeKafkaError(
  err: unknown,
  ctx: ErrorContext,
  denied?: DeniedResource,
): string {
  const at = ctx.brokers?.length ? ` at ${ctx.brokers.join(",")}` : "";
  const who = ctx.sasl ? `User:${ctx.sasl.username}` : "this client (no SASL user)";
  switch (kindOf(err)) {
    case "sasl":
      return `Kafka${at} refused the SASL login of "${ctx.sasl?.username ?? "?"}" ` +
        `(${(ctx.sasl?.mechanism ?? "?").toUpperCase()}): check KAFKA_SASL_USERNAME and ` +
        "KAFKA_SASL_PASSWORD (and KAFKA_SASL_MECHANISM: the listener may offer another one)";
    case "tls-untrusted":
      return `the TLS certificate of Kafka${at} is not trusted: set KAFKA_SSL_CA_FILE to the ` +
        "PEM of the CA that signed it (deno task kafka start --secure prints its CA file)";
    case "tls-mismatch":
      return `the TLS certificate of Kafka${at} does not name the host it was reached by: use ` +
        "in KAFKA_BROKERS a host name or address the certificate lists (its subjectAltName)";
    case "tls-expired":
      return `the TLS certificate of Kafka${at} has expired or is not valid yet: renew it ` +
        "(or check this machine's clock)";
    case "authorization": {
      const type = authorizationType(err)!;
      const what = denied
        ? `${denied.operation} on ${denied.resource}`
        : type === "TOPIC_AUTHORIZATION_FAILED"
        ? "access to a topic"
        : type === "GROUP_AUTHORIZATION_FAILED"
        ? "Read on its consumer group"
        : type === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
        ? "Write on its transactional id"
        : "an operation on the cluster";
      return `Kafka${at} denied ${who} ${what} (${type}): grant the ACLs of ` +
        "`deno task kafka acls` for this principal";
    }
    default:
      return `Kafka${at}: ${innermostMessage(err)}`;
  }
}

/**
 * A connection that closed or timed out before any answer, on a client
 * without TLS: the usual sign of a plaintext client on a TLS listener. Pure.
 */
export function looksLikePlaintextOnTls(err: unknown, ctx: ErrorContext): boolean {
  if (ctx.ssl) return false;
  const errors = chain(err);
  // Nothing listens there: a wrong address, not a wrong protocol.
  if (errors.some((e) => /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(e.message))) return false;
  return errors.some((e) =>
    /Connection (error|timeout)|Closed connection|ECONNRESET|socket hang up|KafkaJSConnectionClosedError|Request .*timed out|connection closed|Broker requires TLS/i
      .test(`${e.name} ${e.message}`)
  );
}

/** The line for a connection that failed at start, with the TLS hint when it fits. Pure. */
export function describeConnectFailure(err: unknown, ctx: ErrorContext): string {
  if (isFatalKafkaError(err)) return describeKafkaError(err, ctx);
  const at = ctx.brokers?.length ? ` at ${ctx.brokers.join(",")}` : "";
  if (looksLikePlaintextOnTls(err, ctx)) {
    return `cannot talk to Kafka${at}: the connection closed without an answer. If its ` +
      "listener is TLS (SSL or SASL_SSL), set KAFKA_SSL=true (and KAFKA_SSL_CA_FILE); " +
      "else check KAFKA_BROKERS";
  }
  return describeKafkaError(err, ctx);
}

/** The topics a script touches, to find which one an ACL is missing on. */
export interface TopicAccess {
  reads?: readonly string[];
  writes?: readonly string[];
}

/**
 * Finds the first topic of `access` that `admin` may not even describe, and
 * what the script needs on it: the resource of a TOPIC_AUTHORIZATION_FAILED.
 */
export async function findDeniedTopic(
  admin: KafkaAdmin,
  access: TopicAccess,
): Promise<DeniedResource | undefined> {
  const reads = new Set(access.reads ?? []);
  const writes = new Set(access.writes ?? []);
  for (const topic of new Set([...writes, ...reads])) {
    try {
      await topicOffsets(admin, topic);
    } catch (err) {
      if (authorizationType(err) !== "TOPIC_AUTHORIZATION_FAILED") continue;
      const operation = reads.has(topic) && writes.has(topic)
        ? "Read and Write"
        : writes.has(topic)
        ? "Write"
        : "Read";
      return { operation, resource: `topic ${topic}` };
    }
  }
  return undefined;
}

/**
 * The one line for a script that stops on `err`, or undefined when `err` is
 * not a login, TLS or permission failure. With `probe`, a topic permission
 * failure names the topic (the probe is an admin client of the same principal).
 */
export async function securityFailureLine(
  err: unknown,
  ctx: ErrorContext & { groups?: readonly string[]; transactionalIds?: readonly string[] },
  probe?: { admin: () => KafkaAdmin; topics: TopicAccess },
): Promise<string | undefined> {
  // The registry's TLS and logins are said by its own error (shared/kafka/avro_codec.ts), not as Kafka's.
  if ((err as Error | undefined)?.name === "RegistryError") return undefined;
  if (!isFatalKafkaError(err)) {
    return looksLikePlaintextOnTls(err, ctx) ? describeConnectFailure(err, ctx) : undefined;
  }
  const type = authorizationType(err);
  let denied: DeniedResource | undefined;
  if (type === "TOPIC_AUTHORIZATION_FAILED" && probe) {
    const admin = probe.admin();
    try {
      denied = await findDeniedTopic(admin, probe.topics);
    } catch {
      /* the line without the topic, then */
    } finally {
      await admin.close().catch(() => {});
    }
  } else if (type === "GROUP_AUTHORIZATION_FAILED" && ctx.groups?.length) {
    denied = { operation: "Read", resource: `group ${ctx.groups.join(" or ")}` };
  } else if (type === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED" && ctx.transactionalIds?.length) {
    denied = {
      operation: "Write",
      resource: `transactional id ${ctx.transactionalIds.join(" or ")}`,
    };
  } else if (type === "CLUSTER_AUTHORIZATION_FAILED") {
    denied = { operation: "IdempotentWrite (or Create)", resource: "the cluster" };
  }
  return describeKafkaError(err, ctx, denied);
}
