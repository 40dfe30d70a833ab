import assert from "node:assert/strict";
import { connect } from "node:tls";
import { ensureCertificates, subjectAltName } from "./certs.ts";

Deno.test("subjectAltName: IP addresses as IP, names as DNS", () => {
  assert.equal(
    subjectAltName(["127.0.0.1", "localhost", "::1"]),
    "IP:127.0.0.1,DNS:localhost,IP:::1",
  );
});

/** A TLS listener on a free local port, serving the certificate `pair`. */
async function listenTls(pair: { certFile: string; keyFile: string }): Promise<Deno.TlsListener> {
  return Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(pair.certFile),
    key: await Deno.readTextFile(pair.keyFile),
  });
}

Deno.test("a certificate issued by the local CA is trusted by a TLS client that trusts the CA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pki-" });
  try {
    const { ca, certs } = await ensureCertificates(dir, ["server"]);
    const again = await ensureCertificates(dir, ["server"]);
    assert.equal(
      await Deno.readTextFile(again.certs.server.certFile),
      await Deno.readTextFile(certs.server.certFile),
      "made once, then reused",
    );
    const bundle = await Deno.readTextFile(certs.server.bundleFile);
    assert.match(bundle, /BEGIN PRIVATE KEY[\s\S]*BEGIN CERTIFICATE[\s\S]*BEGIN CERTIFICATE/);

    const listener = await listenTls(certs.server);
    const port = (listener.addr as Deno.NetAddr).port;
    const accepted = (async () => {
      const conn = await listener.accept();
      await conn.handshake();
      await conn.write(new TextEncoder().encode("ok"));
      conn.close();
    })();
    const caPem = await Deno.readTextFile(ca.certFile);
    const trusted = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port, ca: caPem }, () => {
        socket.once("data", (d) => {
          resolve(String(d));
          socket.end();
        });
      });
      socket.once("error", reject);
    });
    assert.equal(trusted, "ok");
    await accepted;
    listener.close();

    // Without the CA the same server is refused.
    const untrusted = await listenTls(certs.server);
    const port2 = (untrusted.addr as Deno.NetAddr).port;
    const refusedServer = untrusted.accept().then((c) =>
      c.handshake().catch(() => {}).then(() => c.close())
    )
      .catch(() => {});
    const refused = await new Promise<Error>((resolve) => {
      const socket = connect(
        { host: "127.0.0.1", port: port2 },
        () => resolve(new Error("connected")),
      );
      socket.once("error", resolve);
    });
    assert.match(refused.message, /self.signed|unable to (verify|get)|certificate/i);
    await refusedServer;
    untrusted.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
