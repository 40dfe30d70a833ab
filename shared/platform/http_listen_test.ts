import assert from "node:assert/strict";
import { defineConfig } from "./config.ts";
import { httpServerFrom } from "./http_guard.ts";
import { createLogger } from "./log.ts";
import { httpListenFlags, serveGuarded } from "./http_listen.ts";
import { portFlag } from "./port_flag.ts";

Deno.test("an HTTP surface's flags: port and host under its prefix, then the guard's", () => {
  const flags = httpListenFlags("HELLO", 8090);
  assert.deepEqual(Object.keys(flags), [
    "port",
    "host",
    "authToken",
    "basicAuth",
    "tlsCertFile",
    "tlsKeyFile",
  ]);
  assert.equal(flags.port.env, "HELLO_PORT");
  assert.equal(flags.host.env, "HELLO_HOST");
  assert.equal(flags.authToken.env, "HELLO_AUTH_TOKEN");
  const config = defineConfig({ name: "hello", summary: "Says hello.", flags });
  assert.deepEqual(
    { ...config.parse([], () => undefined) },
    {
      port: 8090,
      host: "127.0.0.1",
      authToken: undefined,
      basicAuth: undefined,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
    },
  );
  assert.equal(config.parse([], (n) => n === "HELLO_PORT" ? "0" : undefined).port, 0);
  assert.throws(() => config.parse(["--port", "65536"]), /at most 65535/);
  assert.deepEqual(portFlag("X_PORT", 1, "d"), {
    type: "number",
    env: "X_PORT",
    integer: true,
    min: 0,
    max: 65535,
    default: 1,
    description: "d",
  });
});

Deno.test("serveGuarded serves behind the credentials, the open paths open, and logs where", async () => {
  const lines: string[] = [];
  const log = createLogger({ name: "hello", write: (line: string) => lines.push(line) });
  const http = httpServerFrom({ authToken: "t0ken" }, { realm: "hello" });
  const server = serveGuarded({ host: "127.0.0.1", port: 0 }, http, () => new Response("hello"), {
    log,
    message: "hello listening",
    path: "/hi",
    open: ["/healthz"],
    fields: { extra: 1 },
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const refused = await fetch(`${base}/hi`);
    await refused.body?.cancel();
    assert.equal(refused.status, 401);
    const open = await fetch(`${base}/healthz`);
    assert.equal(await open.text(), "hello");
    const allowed = await fetch(`${base}/hi`, { headers: { authorization: "Bearer t0ken" } });
    assert.equal(await allowed.text(), "hello");
    const line = JSON.parse(lines.find((l) => l.includes("hello listening"))!);
    assert.equal(line.url, `${base}/hi`);
    assert.equal(line.auth, "token");
    assert.equal(line.extra, 1);
  } finally {
    await server.shutdown();
  }
});
