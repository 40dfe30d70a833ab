/**
 * A local certificate authority for the secured cluster, the registry and
 * the HTTP surfaces: one CA, then a certificate per server or client signed
 * by it, all PEM, made by `openssl` (EC P-256: quick to make, and Kafka's
 * JVM, Deno and Node all accept it). Kafka reads PEM directly
 * (`ssl.keystore.type=PEM`), so no keytool or Java keystore is needed.
 *
 * Made once into a folder and reused: {@linkcode ensureCertificates} only
 * creates what is missing.
 *
 * @example
 * ```ts
 * import { ensureCertificateAuthority, issueCertificate } from "./certs.ts";
 * const ca = await ensureCertificateAuthority("/tmp/pki");
 * const server = await issueCertificate(ca, { name: "kafka", hosts: ["127.0.0.1", "localhost"] });
 * console.log(server.certFile, server.keyFile, ca.certFile);
 * ```
 * @module
 */
import { join } from "node:path";
import { exists } from "./run_folders.ts";

/** openssl is missing or refused a step; says which. */
export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CertificateError";
  }
}

/** A CA's files. `certFile` is what clients trust. */
export interface CertificateAuthority {
  dir: string;
  certFile: string;
  keyFile: string;
}

/** One issued certificate: PEM files, and `bundleFile` = key + cert + CA (Kafka's PEM keystore). */
export interface IssuedCertificate {
  name: string;
  certFile: string;
  keyFile: string;
  bundleFile: string;
}

async function openssl(args: string[], what: string): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    throw new CertificateError(
      `openssl is needed to make local certificates (${what}): install it ` +
        `(e.g. \`apt-get install openssl\`): ${(err as Error).message}`,
    );
  }
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
    throw new CertificateError(`openssl could not ${what}: ${text}`);
  }
}

/** `openssl req` arguments for a new unencrypted P-256 key written to `keyFile`. */
function newKeyArgs(keyFile: string): string[] {
  return [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
  ];
}

/** The subjectAltName value for hosts: IP addresses as IP:, names as DNS:. Pure. */
export function subjectAltName(hosts: readonly string[]): string {
  return hosts.map((h) => /^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`).join(",");
}

/** The CA in `dir` (made on first use: `ca.pem`, `ca.key`). */
export async function ensureCertificateAuthority(dir: string): Promise<CertificateAuthority> {
  await Deno.mkdir(dir, { recursive: true });
  const ca = { dir, certFile: join(dir, "ca.pem"), keyFile: join(dir, "ca.key") };
  if (await exists(ca.certFile) && await exists(ca.keyFile)) return ca;
  await openssl([
    "req",
    "-x509",
    ...newKeyArgs(ca.keyFile),
    "-out",
    ca.certFile,
    "-days",
    "3650",
    "-subj",
    "/CN=order-pipeline local CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], "make the local CA");
  return ca;
}

/**
 * A certificate for `name` signed by `ca`, usable as server and as client
 * (mutual TLS): `hosts` go into its subjectAltName. Kept if it exists.
 */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: { name: string; hosts?: readonly string[] },
): Promise<IssuedCertificate> {
  const base = join(ca.dir, options.name);
  const cert: IssuedCertificate = {
    name: options.name,
    certFile: `${base}.pem`,
    keyFile: `${base}.key`,
    bundleFile: `${base}.bundle.pem`,
  };
  if (await exists(cert.bundleFile)) return cert;
  const csr = `${base}.csr`;
  const ext = `${base}.ext`;
  const hosts = options.hosts ?? ["127.0.0.1", "localhost"];
  await Deno.writeTextFile(
    ext,
    [
      `subjectAltName=${subjectAltName(hosts)}`,
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      "",
    ].join("\n"),
  );
  await openssl([
    "req",
    ...newKeyArgs(cert.keyFile),
    "-out",
    csr,
    "-subj",
    `/CN=${options.name}`,
  ], `make a key for ${options.name}`);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-CAcreateserial",
    "-out",
    cert.certFile,
    "-days",
    "825",
    "-extfile",
    ext,
  ], `sign ${options.name}'s certificate`);
  const [key, pem, caPem] = await Promise.all(
    [cert.keyFile, cert.certFile, ca.certFile].map((f) => Deno.readTextFile(f)),
  );
  await Deno.writeTextFile(cert.bundleFile, key + pem + caPem);
  await Deno.remove(csr).catch(() => {});
  await Deno.remove(ext).catch(() => {});
  return cert;
}

/** A CA in `dir` and a certificate for each name, made where missing. */
export async function ensureCertificates(
  dir: string,
  names: readonly string[],
  hosts?: readonly string[],
): Promise<{ ca: CertificateAuthority; certs: Record<string, IssuedCertificate> }> {
  const ca = await ensureCertificateAuthority(dir);
  const certs: Record<string, IssuedCertificate> = {};
  for (const name of names) certs[name] = await issueCertificate(ca, { name, hosts });
  return { ca, certs };
}
