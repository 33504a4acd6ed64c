import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its key on disk (PEM files). */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** A throwaway certificate authority that issues server and client certificates. */
export interface TestCa {
  /** The CA certificate's PEM file (what clients and servers trust). */
  readonly ca: string;
  /** A server certificate for `localhost` and `127.0.0.1`. */
  readonly server: CertFiles;
  /** Issues a client certificate (extendedKeyUsage clientAuth) with common name `cn`. */
  client(cn: string): CertFiles;
}

const openssl = (args: readonly string[]) => execFileSync("openssl", args, { stdio: "ignore" });
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * Makes a one-day CA (P-256) with openssl in a new temporary directory named after `prefix`, and a
 * server certificate it signed for `localhost` and `127.0.0.1` (serverAuth and clientAuth, as etcd
 * members use one certificate for both). For mutual-TLS tests: etcd with `--trusted-ca-file` and
 * `--client-cert-auth` accepts exactly the clients this CA issued.
 */
export function testCa(prefix: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ca = join(dir, "ca.pem");
  const caKey = join(dir, "ca-key.pem");
  openssl([
    ...["req", "-x509", ...EC_KEY, "-keyout", caKey, "-out", ca, "-days", "1", "-subj", "/CN=memorabilia test CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  let serial = 0;
  const issue = (name: string, cn: string, ext: string): CertFiles => {
    const key = join(dir, `${name}-key.pem`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.pem`);
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, ext);
    openssl(["req", "-new", ...EC_KEY, "-keyout", key, "-out", csr, "-subj", `/CN=${cn}`]);
    openssl([
      ...["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-set_serial", String(++serial + 1000)],
      ...["-out", cert, "-days", "1", "-extfile", extFile],
    ]);
    return { cert, key };
  };
  const server = issue(
    "server",
    "localhost",
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n",
  );
  return {
    ca,
    server,
    client: (cn) => issue(`client-${cn}`, cn, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n"),
  };
}
