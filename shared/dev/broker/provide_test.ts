import assert from "node:assert/strict";
import { join } from "node:path";
import { chooseBroker, dockerAnswers } from "./provide.ts";

// ---------------------------------------------------------------- chooseBroker

Deno.test("chooseBroker: KAFKA_BROKERS wins over everything", () => {
  for (const dockerAnswers of [true, false]) {
    for (const dockerDisabled of [true, false, undefined]) {
      const choice = chooseBroker({ kafkaBrokers: "k:9092", dockerAnswers, dockerDisabled });
      assert.equal(choice.kind, "env");
      assert.equal(choice.reason, "KAFKA_BROKERS is set (k:9092)");
    }
  }
});

Deno.test("chooseBroker: the reason shows KAFKA_BROKERS trimmed", () => {
  const choice = chooseBroker({ kafkaBrokers: "  a:1,b:2 \n", dockerAnswers: false });
  assert.deepEqual(choice, { kind: "env", reason: "KAFKA_BROKERS is set (a:1,b:2)" });
});

Deno.test("chooseBroker: an empty or blank KAFKA_BROKERS counts as unset", () => {
  for (const kafkaBrokers of [undefined, "", "   "]) {
    assert.equal(chooseBroker({ kafkaBrokers, dockerAnswers: true }).kind, "testcontainers");
    assert.equal(chooseBroker({ kafkaBrokers, dockerAnswers: false }).kind, "local");
  }
});

Deno.test("chooseBroker: Docker next, when it answers", () => {
  assert.deepEqual(chooseBroker({ dockerAnswers: true }), {
    kind: "testcontainers",
    reason: "KAFKA_BROKERS is unset and a Docker engine answers",
  });
  assert.equal(chooseBroker({ dockerAnswers: true, dockerDisabled: false }).kind, "testcontainers");
});

Deno.test("chooseBroker: a local broker last, when Docker does not answer", () => {
  assert.deepEqual(chooseBroker({ dockerAnswers: false }), {
    kind: "local",
    reason: "KAFKA_BROKERS is unset and no Docker engine answers",
  });
});

Deno.test("chooseBroker: PIPELINE_NO_DOCKER skips a Docker that answers, and says so", () => {
  for (const dockerAnswers of [true, false]) {
    assert.deepEqual(chooseBroker({ dockerAnswers, dockerDisabled: true }), {
      kind: "local",
      reason: "KAFKA_BROKERS is unset and Docker is disabled (PIPELINE_NO_DOCKER)",
    });
  }
});

// ---------------------------------------------------------------- dockerAnswers

/**
 * A fake Docker engine on a unix socket: answers each connection with
 * `reply` (or nothing, if null) and counts the requests it saw.
 */
async function fakeEngine(reply: string | null) {
  const dir = await Deno.makeTempDir({ prefix: "fake-docker-" });
  const path = join(dir, "docker.sock");
  const listener = Deno.listen({ transport: "unix", path });
  const requests: string[] = [];
  const open = new Set<Deno.Conn>();
  const serve = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      (async () => {
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf).catch(() => null);
        if (n) requests.push(new TextDecoder().decode(buf.subarray(0, n)));
        if (reply !== null) {
          await conn.write(new TextEncoder().encode(reply)).catch(() => {});
          conn.close();
          open.delete(conn);
        }
      })();
    }
  })();
  return {
    path,
    requests,
    async close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed by the client */ }
      }
      await serve.catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// Known: dockerAnswers races its read against a 2 s setTimeout that it never
// clears, so these tests leave a timer behind (Deno 2's op sanitizer is off by default).

Deno.test("dockerAnswers is false for a socket path that does not exist", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await dockerAnswers(join(dir, "no-such.sock")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dockerAnswers is false for an empty socket path", async () => {
  assert.equal(await dockerAnswers(""), false);
});

/** Runs `check` against a {@linkcode fakeEngine} answering `reply`, and closes it after. */
async function withFakeEngine(
  reply: string | null,
  check: (engine: Awaited<ReturnType<typeof fakeEngine>>) => Promise<void>,
): Promise<void> {
  const engine = await fakeEngine(reply);
  try {
    await check(engine);
  } finally {
    await engine.close();
  }
}

Deno.test("dockerAnswers is true when the engine answers /_ping with 200 OK", async () => {
  await withFakeEngine(
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK",
    async (engine) => {
      assert.equal(await dockerAnswers(engine.path), true);
      assert.equal(engine.requests.length, 1);
      assert.match(engine.requests[0], /^GET \/_ping HTTP\/1\.[01]\r\n/);
      assert.match(engine.requests[0], /\r\nHost: [^\r]+\r\n/);
      assert.ok(engine.requests[0].endsWith("\r\n\r\n"));
    },
  );
});

const UNHEALTHY_ENGINES = [
  [
    "dockerAnswers is false when the engine answers with an error status",
    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
  ],
  ["dockerAnswers is false when the socket closes without a reply", ""],
] as const;
for (const [name, reply] of UNHEALTHY_ENGINES) {
  Deno.test(name, async () => {
    await withFakeEngine(reply, async (engine) => {
      assert.equal(await dockerAnswers(engine.path), false);
    });
  });
}

Deno.test("dockerAnswers gives up (false) when the engine never replies", async () => {
  await withFakeEngine(null, async (engine) => {
    const started = performance.now();
    assert.equal(await dockerAnswers(engine.path), false);
    const ms = performance.now() - started;
    assert.ok(ms >= 1500 && ms < 10_000, `gave up after ${Math.round(ms)} ms`);
  });
});
