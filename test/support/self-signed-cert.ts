import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throwaway TLS key and certificate on disk, and the certificate to trust as a CA. */
export interface SelfSignedCert {
  readonly key: string;
  readonly cert: string;
  readonly ca: Buffer;
}

/**
 * Makes a one-day self-signed P-256 certificate for `localhost` and `127.0.0.1` with openssl, in a
 * new temporary directory named after `prefix`.
 */
export function selfSignedCert(prefix: string): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ],
    { stdio: "ignore" },
  );
  return { key, cert, ca: readFileSync(cert) };
}
