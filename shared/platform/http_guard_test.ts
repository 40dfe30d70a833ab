import assert from "node:assert/strict";
import { ConfigError, defineConfig } from "./config.ts";
import {
  authorize,
  authSummary,
  exposureWarning,
  guard,
  httpServerEnv,
  httpServerFlags,
  httpServerFrom,
  listenUrl,
} from "./http_guard.ts";

const BOTH = { realm: "gw", token: "s3cret-token", basic: "alice:pa:ss wörd" };

function request(authorization?: string, path = "/orders"): Request {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  return new Request(`http://gw${path}`, { headers });
}

/** Base64 of the UTF-8 bytes, as browsers send basic auth with charset="UTF-8". */
function basic(userPassword: string): string {
  return "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(userPassword)));
}

async function refusal(res: Response | undefined) {
  assert.ok(res, "refused");
  assert.equal(res.status, 401);
  const text = await res.text();
  assert.equal(text.trim().split("\n").length, 1, "one line");
  return {
    error: JSON.parse(text).error as string,
    challenges: res.headers.get("www-authenticate"),
  };
}

Deno.test("authorize: no credentials configured lets everything in", () => {
  assert.equal(authorize(request(), undefined), undefined);
});

Deno.test("authorize: the right token or the right user:password lets in", () => {
  assert.equal(authorize(request("Bearer s3cret-token"), BOTH), undefined);
  assert.equal(authorize(request("bearer   s3cret-token "), BOTH), undefined);
  assert.equal(authorize(request(basic("alice:pa:ss wörd")), BOTH), undefined);
  assert.equal(
    authorize(request(basic("alice:pa:ss wörd").replace("Basic", "BASIC")), BOTH),
    undefined,
  );
});

Deno.test("authorize: missing credentials get 401 naming both schemes, Basic first", async () => {
  const { error, challenges } = await refusal(authorize(request(), BOTH));
  assert.match(
    error,
    /credentials required: send Authorization: Basic <user:password> or Bearer <token>/,
  );
  assert.equal(challenges, 'Basic realm="gw", charset="UTF-8", Bearer realm="gw"');
});

Deno.test("authorize: wrong token, wrong password, bad base64 get 401", async () => {
  assert.match(
    (await refusal(authorize(request("Bearer s3cret-tokeN"), BOTH))).error,
    /bearer token/,
  );
  assert.match((await refusal(authorize(request("Bearer s3cret"), BOTH))).error, /bearer token/);
  assert.match(
    (await refusal(authorize(request(basic("alice:nope")), BOTH))).error,
    /user or password/,
  );
  assert.match((await refusal(authorize(request("Basic !!!"), BOTH))).error, /user or password/);
  assert.match((await refusal(authorize(request("Basic"), BOTH))).error, /unsupported/);
});

Deno.test("authorize: only the configured schemes are accepted and challenged", async () => {
  const tokenOnly = { realm: "status", token: "t" };
  const r = await refusal(authorize(request(basic("alice:t")), tokenOnly));
  assert.match(
    r.error,
    /unsupported credentials: this server takes Authorization: Bearer <token>$/,
  );
  assert.equal(r.challenges, 'Bearer realm="status"');
  const basicOnly = { realm: "dash", basic: "u:p" };
  const b = await refusal(authorize(request("Bearer u:p"), basicOnly));
  assert.match(b.error, /Basic <user:password>$/);
  assert.equal(b.challenges, 'Basic realm="dash", charset="UTF-8"');
});

Deno.test("guard: open paths pass, the rest is checked; no credentials: the handler itself", async () => {
  const handler = () => new Response("ok");
  assert.equal(guard(handler, undefined), handler);
  const guarded = guard(handler, BOTH, { open: ["/healthz"] });
  assert.equal((await guarded(request(undefined, "/healthz"))).status, 200);
  assert.equal((await guarded(request(undefined, "/healthz/x"))).status, 401);
  assert.equal((await guarded(request(undefined, "/metrics"))).status, 401);
  assert.equal((await guarded(request("Bearer s3cret-token", "/metrics"))).status, 200);
});

Deno.test("httpServerFlags: four flags with the prefix's env vars, secrets marked", () => {
  const flags = httpServerFlags("GATEWAY");
  assert.deepEqual(httpServerEnv("GATEWAY"), [
    "GATEWAY_AUTH_TOKEN",
    "GATEWAY_BASIC_AUTH",
    "GATEWAY_TLS_CERT_FILE",
    "GATEWAY_TLS_KEY_FILE",
  ]);
  assert.equal(flags.authToken.secret, true);
  assert.equal(flags.basicAuth.secret, true);
  const config = defineConfig({ name: "gw", summary: "s", flags });
  const cfg = config.parse(
    ["--tls-cert-file", "c.pem"],
    (name) =>
      ({ GATEWAY_AUTH_TOKEN: "tok", GATEWAY_TLS_KEY_FILE: "k.pem" } as Record<string, string>)[
        name
      ],
  );
  assert.deepEqual(cfg, {
    authToken: "tok",
    basicAuth: undefined,
    tlsCertFile: "c.pem",
    tlsKeyFile: "k.pem",
  });
  assert.match(
    config.help,
    /--auth-token <string> +require Authorization: Bearer.*env GATEWAY_AUTH_TOKEN/,
  );
});

const FILES: Record<string, string> = {
  "cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  "key.pem": "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n",
};
function readFile(path: string): string {
  if (!(path in FILES)) throw new Deno.errors.NotFound(`No such file: ${path}`);
  return FILES[path];
}
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail("no ConfigError");
}
const settings = (cfg: Parameters<typeof httpServerFrom>[0]) =>
  httpServerFrom(cfg, { realm: "gw", prefix: "GATEWAY", readFile });

Deno.test("httpServerFrom: credentials and TLS from the flags", () => {
  assert.deepEqual(settings({}), { credentials: undefined, tls: undefined });
  assert.deepEqual(settings({ authToken: "t", tlsCertFile: "cert.pem", tlsKeyFile: "key.pem" }), {
    credentials: { realm: "gw", token: "t", basic: undefined },
    tls: { cert: FILES["cert.pem"], key: FILES["key.pem"] },
  });
});

Deno.test("httpServerFrom: each bad setting is a ConfigError naming its flag and env var", () => {
  const cases: [Parameters<typeof httpServerFrom>[0], string, RegExp][] = [
    [{ authToken: " " }, "authToken", /--auth-token \(GATEWAY_AUTH_TOKEN\) is empty/],
    [
      { basicAuth: "alice" },
      "basicAuth",
      /--basic-auth \(GATEWAY_BASIC_AUTH\) must be user:password/,
    ],
    [{ basicAuth: ":pw" }, "basicAuth", /user:password/],
    [{ basicAuth: "alice:" }, "basicAuth", /user:password/],
    [
      { tlsCertFile: "cert.pem" },
      "tlsKeyFile",
      /go together: --tls-key-file \(GATEWAY_TLS_KEY_FILE\) is missing/,
    ],
    [
      { tlsKeyFile: "key.pem" },
      "tlsCertFile",
      /--tls-cert-file \(GATEWAY_TLS_CERT_FILE\) is missing/,
    ],
    [
      { tlsCertFile: "nope.pem", tlsKeyFile: "key.pem" },
      "tlsCertFile",
      /--tls-cert-file \(GATEWAY_TLS_CERT_FILE\): cannot read nope.pem: No such file/,
    ],
    [{ tlsCertFile: "key.pem", tlsKeyFile: "key.pem" }, "tlsCertFile", /is not a PEM CERTIFICATE/],
    [{ tlsCertFile: "cert.pem", tlsKeyFile: "cert.pem" }, "tlsKeyFile", /is not a PEM PRIVATE KEY/],
  ];
  for (const [cfg, flag, message] of cases) {
    const err = configError(() => settings(cfg));
    assert.equal(err.flag, flag, JSON.stringify(cfg));
    assert.match(err.message, message);
  }
});

Deno.test("exposureWarning, authSummary and listenUrl", () => {
  assert.equal(authSummary(undefined), "none");
  assert.equal(authSummary(BOTH), "token+basic");
  assert.equal(authSummary({ realm: "r", basic: "u:p" }), "basic");
  assert.equal(exposureWarning("127.0.0.1", {}), undefined);
  assert.equal(exposureWarning("localhost", {}), undefined);
  assert.match(exposureWarning("0.0.0.0", {}) ?? "", /without credentials/);
  assert.equal(exposureWarning("0.0.0.0", { credentials: { realm: "r", token: "t" } }), undefined);
  const addr = { transport: "tcp", hostname: "127.0.0.1", port: 8080 } as const;
  assert.equal(listenUrl(addr, false, "/orders"), "http://127.0.0.1:8080/orders");
  assert.equal(listenUrl(addr, true), "https://127.0.0.1:8080/");
  assert.equal(listenUrl({ ...addr, hostname: "::1" }, true), "https://[::1]:8080/");
});
