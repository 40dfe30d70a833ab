/**
 * The HTTP surfaces' credentials and TLS (shared/platform/http_guard.ts), on real
 * processes under their catalog permissions, over real HTTP and TLS (a
 * local CA from shared/dev/certs.ts), on the real broker:
 *
 * - the gateway with a token (from its env var) and basic auth (a flag):
 *   POST /orders without credentials, with a wrong token or a wrong password
 *   is 401 with a challenge and reaches nothing; with either credential 202,
 *   and exactly those orders are in the topic; /healthz stays open;
 * - the gateway over TLS: the logged URL is https, a client trusting the CA
 *   gets its 202, one that does not fails the handshake;
 * - a certificate path that cannot be read, or a key of another
 *   certificate, stops the start with exit 2 and one line naming the flag;
 * - the status service with a token: 401 without, 404 (unknown order) with.
 *
 * The dashboard under basic auth (the page in Chromium, and Replay refused
 * without credentials) is in tests/dashboard_test.ts.
 */
import assert from "node:assert/strict";
import { ensureCertificates } from "../shared/dev/certs.ts";
import { ensureTopicsAt, renamed, TOPICS } from "../shared/kafka/topics.ts";
import {
  integration,
  testBrokers,
  testConnection,
  testKafka,
  uniqueName,
  waitFor,
} from "./harness.ts";
import { readAllCommitted, type ScriptProcess, startScript, stopped } from "./pipeline.ts";

const GATEWAY = "scripts/order_gateway.ts";
const STATUS_SERVICE = "scripts/order_status_service.ts";
const TOKEN = "test-token-3f9a";
const BASIC = "alice:s3cret";

function order(orderId: string): Record<string, unknown> {
  return {
    orderId,
    type: "inventory",
    customerId: "cust-7",
    items: [{ sku: "SKU-1001", quantity: 1, unitPrice: 24.99 }],
  };
}

function basic(userPassword: string): string {
  return `Basic ${btoa(userPassword)}`;
}

function post(
  url: string,
  body: unknown,
  authorization?: string,
  client?: Deno.HttpClient,
): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization) headers.authorization = authorization;
  return fetch(url, { method: "POST", headers, body: JSON.stringify(body), client });
}

/** The URL a script logs at start, http or https. */
function loggedUrl(proc: ScriptProcess, suffix: string): Promise<string> {
  const pattern = new RegExp(`"url":"(https?://[^"]+)${suffix.replace(/[/:]/g, "\\$&")}"`);
  return waitFor(`the logged URL of ${suffix}`, async () => {
    const m = pattern.exec(proc.output());
    if (!m && await Promise.race([proc.status.then(() => true), Promise.resolve(false)])) {
      throw new Error(`the script ended:\n${proc.output()}`);
    }
    return m?.[1];
  }, { timeoutMs: 60_000 });
}

async function newTopic(name: string): Promise<string> {
  const spec = renamed(TOPICS.orders, uniqueName(name));
  await ensureTopicsAt(testConnection("http-security"), [spec]);
  return spec.name;
}

/** Asserts a 401 with a challenge for each scheme and a one-line JSON body matching `error`. */
/** The gateway on this run's broker, writing to `topic` on a free port, with {@linkcode TOKEN}. */
function startGateway(topic: string, extra: string[]): ScriptProcess {
  return startScript(
    GATEWAY,
    ["--brokers", testBrokers().join(","), "--port", "0", "--topic", topic, ...extra],
    { GATEWAY_AUTH_TOKEN: TOKEN },
  );
}

async function assertRefused(res: Response, error: RegExp, schemes: string[]): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, 401, text);
  const challenge = res.headers.get("www-authenticate") ?? "";
  for (const scheme of schemes) assert.match(challenge, new RegExp(`${scheme} realm=`));
  assert.equal(text.trim().split("\n").length, 1);
  assert.match(JSON.parse(text).error, error);
}

Deno.test(
  "gateway with a token and basic auth: 401 without them, 202 with either",
  integration,
  async () => {
    const topic = await newTopic("http-auth-orders");
    const gateway = startGateway(topic, ["--basic-auth", BASIC]);
    try {
      const base = await loggedUrl(gateway, "/orders");
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback by default");
      assert.match(gateway.output(), /"auth":"token\+basic"/);
      assert.ok(!gateway.output().includes(TOKEN) && !gateway.output().includes("s3cret"));
      // The liveness probe stays open; wait on it for Kafka.
      await waitFor("the gateway to reach Kafka", async () => (await fetch(`${base}/healthz`)).ok);

      const refused = uniqueName("refused");
      await assertRefused(
        await post(`${base}/orders`, order(refused)),
        /credentials required: send Authorization: Basic <user:password> or Bearer <token>/,
        ["Basic", "Bearer"],
      );
      await assertRefused(
        await post(`${base}/orders`, order(refused), "Bearer wrong-token"),
        /wrong credentials: the bearer token/,
        ["Basic", "Bearer"],
      );
      await assertRefused(
        await post(`${base}/orders`, order(refused), basic("alice:wrong")),
        /wrong credentials: the user or password/,
        ["Basic", "Bearer"],
      );
      await assertRefused(await fetch(`${base}/metrics`), /credentials required/, ["Bearer"]);

      const byToken = uniqueName("by-token");
      const byBasic = uniqueName("by-basic");
      const a = await post(`${base}/orders`, order(byToken), `Bearer ${TOKEN}`);
      assert.equal(a.status, 202, await a.clone().text());
      assert.deepEqual((await a.json()).orderIds, [byToken]);
      const b = await post(`${base}/orders`, order(byBasic), basic(BASIC));
      assert.equal(b.status, 202, await b.clone().text());
      const metrics = await fetch(`${base}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(metrics.status, 200);
      await metrics.body?.cancel();

      const keys = (await readAllCommitted(testKafka("http-auth-reader"), topic))
        .map((m) => m.key?.toString()).sort();
      assert.deepEqual(keys, [byBasic, byToken].sort(), "exactly the accepted orders, once each");
    } finally {
      await stopped(gateway);
    }
  },
);

Deno.test(
  "gateway over TLS: an https URL, a client trusting the CA gets its 202",
  integration,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "http-tls-" });
    const { ca, certs } = await ensureCertificates(dir, ["gateway"], ["127.0.0.1", "localhost"]);
    const topic = await newTopic("http-tls-orders");
    const gateway = startGateway(topic, [
      "--tls-cert-file",
      certs.gateway.certFile,
      "--tls-key-file",
      certs.gateway.keyFile,
    ]);
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca.certFile)] });
    try {
      const base = await loggedUrl(gateway, "/orders");
      assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
      await waitFor("the gateway to reach Kafka", async () => {
        const res = await fetch(`${base}/healthz`, { client });
        await res.body?.cancel();
        return res.ok;
      });
      // Without the CA the certificate is not trusted: the handshake fails.
      await assert.rejects(fetch(`${base}/healthz`));
      await assertRefused(
        await post(`${base}/orders`, order(uniqueName("no-token")), undefined, client),
        /credentials required/,
        ["Bearer"],
      );
      const id = uniqueName("over-tls");
      const res = await post(`${base}/orders`, order(id), `Bearer ${TOKEN}`, client);
      assert.equal(res.status, 202, await res.clone().text());
      await res.body?.cancel();
      const keys = (await readAllCommitted(testKafka("http-tls-reader"), topic))
        .map((m) => m.key?.toString());
      assert.deepEqual(keys, [id]);
    } finally {
      client.close();
      await stopped(gateway);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("gateway: a certificate it cannot read stops the start, exit 2, naming the flag", async () => {
  const gateway = startScript(GATEWAY, [
    "--brokers",
    "127.0.0.1:1",
    "--tls-cert-file",
    "/nonexistent/cert.pem",
    "--tls-key-file",
    "/nonexistent/key.pem",
  ]);
  const status = await gateway.status;
  assert.equal(status.code, 2, gateway.output());
  assert.match(
    gateway.output(),
    /^order_gateway: --tls-cert-file \(GATEWAY_TLS_CERT_FILE\): cannot read \/nonexistent\/cert\.pem: .+\n/,
  );
  assert.doesNotMatch(gateway.output(), /\bat .*\.ts:\d+/, "no stack trace");

  // A key that is not the certificate's: TLS refuses the pair, named by both flags.
  const dir = await Deno.makeTempDir({ prefix: "http-tls-" });
  try {
    const { certs } = await ensureCertificates(dir, ["one", "other"]);
    const mismatched = startScript(GATEWAY, [
      "--brokers",
      "127.0.0.1:1",
      "--port",
      "0",
      "--tls-cert-file",
      certs.one.certFile,
      "--tls-key-file",
      certs.other.keyFile,
    ]);
    assert.equal((await mismatched.status).code, 2, mismatched.output());
    assert.match(
      mismatched.output(),
      /order_gateway: --tls-cert-file and --tls-key-file: TLS refuses them \(.+\); is the key the certificate's\?\n/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "status service with a token: 401 without it, 404 for an unknown order with it",
  integration,
  async () => {
    const topic = await newTopic("http-auth-status");
    const service = startScript(STATUS_SERVICE, [
      "--brokers",
      testBrokers().join(","),
      "--status-topic",
      topic,
      "--port",
      "0",
      "--progress-interval",
      "0",
    ], { STATUS_AUTH_TOKEN: TOKEN });
    try {
      const base = await loggedUrl(service, "/orders/:id");
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback by default");
      const health = await fetch(`${base}/healthz`);
      assert.notEqual(health.status, 401, "the liveness probe stays open");
      await health.body?.cancel();
      await assertRefused(await fetch(`${base}/orders/ord-1`), /credentials required/, ["Bearer"]);
      await assertRefused(
        await fetch(`${base}/orders/ord-1`, { headers: { authorization: "Bearer nope" } }),
        /wrong credentials/,
        ["Bearer"],
      );
      const res = await fetch(`${base}/orders/ord-1`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(res.status, 404, await res.clone().text());
      await res.body?.cancel();
    } finally {
      await stopped(service);
    }
  },
);
