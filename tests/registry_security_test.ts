/**
 * A secured registry (basic auth and TLS, certificates from our local CA)
 * on a real broker: both registry client libraries get in with
 * credentials given as user info and in the URL, and out without; a
 * routing producer process routes with credentials and, without them or
 * without the CA, ends with one line naming the setting to fix.
 * @module
 */
import assert from "node:assert/strict";
import { Agent } from "node:https";
import {
  AvroDeserializer,
  AvroSerializer,
  type ClientConfig,
  SchemaRegistryClient,
  SerdeType,
} from "@confluentinc/schemaregistry";
import { createAvroCodec, registryClient, RegistryError } from "../shared/kafka/avro_codec.ts";
import {
  type RegistryConnection,
  registryConnectionFrom,
} from "../shared/kafka/registry_connection.ts";
import { type RunningRegistry, startRegistry } from "../shared/registry/server.ts";
import { ensureCertificateAuthority, ensureCertificates } from "../shared/dev/certs.ts";
import { basicAuthHeader, parseBasicAuthUsers } from "../shared/platform/basic_auth.ts";
import {
  integration,
  testConnection,
  testKafka,
  testLogger,
  uniqueName,
  waitFor,
} from "./harness.ts";
import { dataConsumerArgs } from "./data_consumer.ts";
import {
  explained,
  type PipelineTestContext,
  produceOrders,
  readDecoded,
  routerArgs,
  routerCaughtUp,
  ROUTING_PRODUCERS,
  type ScriptProcess,
  startScript,
  startTestPipeline,
  stopped,
} from "./pipeline.ts";

const USERS = "alice:s3cret,bob:hunter2";
const ORDER = JSON.stringify({
  type: "record",
  name: "Order",
  namespace: "shop",
  fields: [{ name: "id", type: "string" }, { name: "price", type: "double" }],
});

/** The local CA and the registry's certificate, made once for this file. */
const pki = (async () => {
  const dir = await Deno.makeTempDir({ prefix: "registry-pki-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const { ca, certs } = await ensureCertificates(dir, ["registry"]);
  return {
    caFile: ca.certFile,
    ca: await Deno.readTextFile(ca.certFile),
    tls: {
      cert: await Deno.readTextFile(certs.registry.certFile),
      key: await Deno.readTextFile(certs.registry.keyFile),
    },
  };
})();

async function startSecured(): Promise<RunningRegistry> {
  return await startRegistry({
    connection: testConnection("registry-security-test"),
    topic: uniqueName("schemas"),
    port: 0,
    log: testLogger("schema-registry"),
    users: parseBasicAuthUsers(USERS),
    tls: (await pki).tls,
  });
}

/**
 * Declares a test on its own pipeline whose registry is secured with
 * {@linkcode USERS} and TLS from the local CA (`caFile`); the pipeline is
 * closed after it.
 */
function securedPipelineTest(
  description: string,
  name: string,
  body: (context: PipelineTestContext & { caFile: string }) => Promise<void>,
): void {
  Deno.test(description, integration, async (t) => {
    const kafka = testKafka();
    const { caFile, tls } = await pki;
    const pipeline = await startTestPipeline(name, {
      users: parseBasicAuthUsers(USERS),
      tls,
    });
    try {
      await body({ kafka, pipeline, t, caFile });
    } finally {
      await pipeline.close();
    }
  });
}

/**
 * Waits for `proc` to end with exit code 1, no stack trace and exactly one
 * error line; returns that line's message.
 */
async function refusal(proc: ScriptProcess): Promise<string> {
  const status = await proc.status;
  const output = proc.output();
  assert.equal(status.code, 1, output);
  assert.doesNotMatch(output, /^\s+at /m, "no stack trace");
  const errors = output.split("\n").filter((l) => l.includes('"level":"error"'));
  assert.equal(errors.length, 1, output);
  return JSON.parse(errors[0]).msg as string;
}

/** `https://127.0.0.1:port` with `user:password@` in it. */
function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.href.replace(/\/$/, "");
}

Deno.test(
  "a secured registry: both clients get in with user info or URL credentials, 401 without",
  integration,
  async (t) => {
    const registry = await startSecured();
    const { ca, caFile } = await pki;
    try {
      assert.match(registry.url, /^https:\/\/127\.0\.0\.1:\d+$/);

      await t.step("raw requests: none, wrong password, right password", async () => {
        const client = Deno.createHttpClient({ caCerts: [ca] });
        try {
          const get = (headers: Record<string, string>) =>
            fetch(`${registry.url}/subjects`, { headers, client });
          const none = await get({});
          assert.equal(none.status, 401);
          assert.equal(none.headers.get("www-authenticate"), 'Basic realm="schema-registry"');
          assert.equal((await none.json()).error_code, 401);
          const wrong = await get({ authorization: basicAuthHeader("alice", "hunter2") });
          assert.equal(wrong.status, 401);
          assert.equal((await wrong.json()).error_code, 401);
          const right = await get({ authorization: basicAuthHeader("bob", "hunter2") });
          assert.equal(right.status, 200);
          await right.body?.cancel();
        } finally {
          client.close();
        }
      });

      // The serializers' TopicNameStrategy: <topic>-value.
      const topic = uniqueName("orders");
      const subject = `${topic}-value`;
      let id = -1;
      await t.step("kafkajs client, user info and URL credentials", async () => {
        const viaUserInfo = registryConnectionFrom({
          registryUrl: registry.url,
          registryBasicAuthUserInfo: "alice:s3cret",
          registryCaFile: caFile,
        });
        const viaUrl = registryConnectionFrom({
          registryUrl: withCredentials(registry.url, "bob", "hunter2"),
          registryCaFile: caFile,
        });
        assert.equal(viaUrl.url, registry.url, "the password is out of the URL");
        ({ id } = await registryClient(viaUserInfo).register(
          { type: "AVRO" as never, schema: ORDER },
          { subject },
        ));
        const bytes = await registryClient(viaUserInfo).encode(id, { id: "o-1", price: 2.5 });
        assert.deepEqual({ ...(await registryClient(viaUrl).decode(bytes)) }, {
          id: "o-1",
          price: 2.5,
        });
      });

      await t.step("kafkajs client: no or wrong credentials, no CA, each said", async () => {
        const attempt = (conn: RegistryConnection) =>
          createAvroCodec({ registry: conn, subject, schemas: [JSON.parse(ORDER)] });
        await assert.rejects(
          attempt({ url: registry.url, ca }),
          (err) =>
            err instanceof RegistryError && err.kind === "credentials" &&
            err.message === `schema registry ${registry.url} refused the credentials (401): ` +
                "none were given; set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password",
        );
        await assert.rejects(
          attempt({ url: registry.url, ca, auth: { username: "alice", password: "nope" } }),
          (err) =>
            err instanceof RegistryError && err.kind === "credentials" &&
            /refused the credentials of user "alice" \(401\)/.test(err.message),
        );
        await assert.rejects(
          attempt({ url: registry.url, auth: { username: "alice", password: "s3cret" } }),
          (err) =>
            err instanceof RegistryError && err.kind === "tls" &&
            /certificate is not trusted.*SCHEMA_REGISTRY_SSL_CA_FILE/.test(err.message),
        );
      });

      await t.step("Confluent's client, user info and URL credentials", async () => {
        const base: ClientConfig = {
          baseURLs: [registry.url],
          maxRetries: 0,
          createAxiosDefaults: { httpsAgent: new Agent({ ca }) },
        };
        const viaUserInfo = new SchemaRegistryClient({
          ...base,
          basicAuthCredentials: { credentialsSource: "USER_INFO", userInfo: "alice:s3cret" },
        });
        const viaUrl = new SchemaRegistryClient({
          ...base,
          basicAuthCredentials: {
            credentialsSource: "URL",
            userInfo: withCredentials(registry.url, "bob", "hunter2"),
          },
        });
        assert.equal(await viaUserInfo.getId(subject, { schemaType: "AVRO", schema: ORDER }), id);
        const serializer = new AvroSerializer(viaUrl, SerdeType.VALUE, { useLatestVersion: true });
        const bytes = await serializer.serialize(topic, { id: "o-2", price: 4 });
        const deserializer = new AvroDeserializer(viaUserInfo, SerdeType.VALUE, {});
        assert.deepEqual({ ...(await deserializer.deserialize(topic, bytes)) }, {
          id: "o-2",
          price: 4,
        });
        const anonymous = new SchemaRegistryClient(base);
        await assert.rejects(anonymous.getLatestSchemaMetadata(subject), /401|Unauthorized/);
        const wrong = new SchemaRegistryClient({
          ...base,
          basicAuthCredentials: { credentialsSource: "USER_INFO", userInfo: "bob:s3cret" },
        });
        await assert.rejects(wrong.getLatestSchemaMetadata(subject), /401|Unauthorized/);
      });
    } finally {
      await registry.close();
    }
  },
);

securedPipelineTest(
  "a routing producer on a secured registry: routes with credentials, one line without",
  "secured",
  async ({ kafka, pipeline, t, caFile }) => {
    const userInfo = { SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: "alice:s3cret" };
    const caEnv = { SCHEMA_REGISTRY_SSL_CA_FILE: caFile };
    /** Starts the producer, expects exit 1 and one error line: returns that line. */
    const refused = (env: Record<string, string>) =>
      refusal(startScript(ROUTING_PRODUCERS.inventory, routerArgs(pipeline, "inventory"), env));
    await t.step("without credentials: exit 1, one line naming the variable", async () => {
      assert.equal(
        await refused(caEnv),
        `schema registry ${pipeline.registryUrl} refused the credentials (401): ` +
          "none were given; set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password",
      );
    });
    await t.step("with a wrong password: exit 1, one line", async () => {
      assert.match(
        await refused({ ...caEnv, SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: "alice:wrong" }),
        /refused the credentials of user "alice" \(401\): check SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO/,
      );
    });
    await t.step("without the CA: exit 1, one line naming the CA variable", async () => {
      assert.match(
        await refused(userInfo),
        /^schema registry https:\/\/127\.0\.0\.1:\d+: no CA .*set SCHEMA_REGISTRY_SSL_CA_FILE/,
      );
    });
    await t.step("with a CA that did not sign it: exit 1, one line", async () => {
      const other = await ensureCertificateAuthority(await Deno.makeTempDir());
      await using _ = {
        [Symbol.asyncDispose]: () => Deno.remove(other.dir, { recursive: true }),
      };
      assert.match(
        await refused({ ...userInfo, SCHEMA_REGISTRY_SSL_CA_FILE: other.certFile }),
        /^schema registry https:\/\/127\.0\.0\.1:\d+: its TLS certificate is not trusted .*set SCHEMA_REGISTRY_SSL_CA_FILE/,
      );
    });
    await t.step("user info without a colon: a flag error", async () => {
      const proc = startScript(ROUTING_PRODUCERS.inventory, routerArgs(pipeline, "inventory"), {
        ...caEnv,
        SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: "alice",
      });
      assert.equal((await proc.status).code, 2);
      assert.match(proc.output(), /SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO\) must be user:password/);
    });

    await t.step("with credentials (in the URL) and the CA: an order is routed", async () => {
      const records = await produceOrders(kafka, pipeline, 20, {
        seed: 3,
        invalidRate: 0,
        mix: { inventory: 1 },
      });
      const args = routerArgs(pipeline, "inventory");
      const url = withCredentials(pipeline.registryUrl, "bob", "hunter2");
      args[args.indexOf("--registry-url") + 1] = url;
      const proc = startScript(ROUTING_PRODUCERS.inventory, [
        ...args,
        "--registry-ca-file",
        caFile,
      ]);
      try {
        await explained({ producer: proc }, () =>
          waitFor(
            "the producer to consume every raw order",
            () => routerCaughtUp(pipeline, "inventory"),
            { timeoutMs: 90_000, intervalMs: 500 },
          ));
      } finally {
        await stopped(proc);
      }
      assert.doesNotMatch(proc.output(), /hunter2/, "the password is not logged");
      const routed = await readDecoded(
        kafka,
        registryConnectionFrom({ registryUrl: url, registryCaFile: caFile }),
        pipeline.topics.inventoryOrders.name,
      );
      const orderIds = new Set(records.map((r) => JSON.parse(r.value).orderId));
      assert.ok(routed.length >= records.length, "every order has at least one line");
      for (const r of routed) assert.ok(orderIds.has(r.value.orderId));
    });
  },
);

securedPipelineTest(
  "a data consumer on a secured registry: checks it at start, one line without credentials",
  "secured-consumer",
  async ({ pipeline, t, caFile }) => {
    const dir = await Deno.makeTempDir({ prefix: "registry-consumer-" });
    const consumer = "consumers/inventory_data_consumer.ts";
    const args = dataConsumerArgs({
      registryUrl: pipeline.registryUrl,
      databaseUrl: `sqlite:${dir}/stock.db`,
      sourceTopics: [pipeline.topics.inventoryOrders.name],
      statusTopic: uniqueName("secured-status"),
      changeLogTopic: uniqueName("secured-stock-changes"),
      dlqTopic: pipeline.topics.ordersDlq.name,
      groupId: uniqueName("secured-consumer"),
    }, ["--registry-ca-file", caFile]);
    try {
      await t.step("without credentials: exit 1, one line", async () => {
        assert.equal(
          await refusal(startScript(consumer, args)),
          `schema registry ${pipeline.registryUrl} refused the credentials (401): ` +
            "none were given; set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password",
        );
      });
      await t.step("with credentials: it gets past the check and runs", async () => {
        const proc = startScript(consumer, args, {
          SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: "bob:hunter2",
        });
        try {
          await waitFor(
            "the consumer to open its store",
            () => /"msg":"store open"/.test(proc.output()),
            {
              timeoutMs: 60_000,
            },
          );
        } finally {
          await stopped(proc);
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
