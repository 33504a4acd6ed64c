/**
 * Why a TLS connection to an etcd member fails, in words an operator can act on. grpc-js reports a
 * refused client certificate as "No connection established. Last error: null", so when the engine
 * cannot reach an `https://` etcd at start, this opens one plain TLS connection with the same
 * material (ALPN h2, an HTTP/2 preface so the member checks the client certificate) and names the
 * failure. Diagnostics only: the engine's traffic never goes through here.
 */
import { connect } from "node:tls";
import type { EtcdTls } from "./client.js";

/** How long the probe waits for the member's verdict. */
const PROBE_MS = 2000;

const HINTS: [RegExp, string][] = [
  [
    /ALERT_BAD_CERTIFICATE|CERTIFICATE_REQUIRED|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE/i,
    "etcd refused this server's client certificate or its absence: give --etcd-cert and --etcd-key issued by the CA etcd trusts (its --trusted-ca-file)",
  ],
  [
    /ALTNAME|Hostname\/IP does not match/i,
    "the member's certificate does not name the host of --etcd-endpoints (its subjectAltName)",
  ],
  [
    /VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED|CERT_HAS_EXPIRED/i,
    "the member's certificate is not trusted: --etcd-ca must be the CA that signed it",
  ],
  [
    /WRONG_VERSION_NUMBER|packet length too long|ECONNRESET/i,
    "the member does not speak TLS on this port (use http://)",
  ],
];

/**
 * Resolves with one line saying why TLS to `endpoint` fails (the hint first, then Node's code and
 * message), or undefined when the handshake and the member's first response go through (the
 * failure is elsewhere) or the endpoint is not https://.
 */
export function diagnoseTls(endpoint: string, tls: EtcdTls | undefined): Promise<string | undefined> {
  const url = new URL(endpoint);
  if (url.protocol !== "https:") return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port || 2379),
      ca: tls?.ca,
      cert: tls?.cert,
      key: tls?.key,
      ALPNProtocols: ["h2"],
    });
    const done = (verdict: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const timer = setTimeout(() => done(undefined), PROBE_MS);
    socket.once("secureConnect", () => socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    socket.on("data", () => {});
    socket.once("error", (error: Error & { code?: string }) => {
      const text = `${error.code ?? ""} ${error.message}`;
      const hint = HINTS.find(([re]) => re.test(text))?.[1];
      const detail = `${error.code ?? "TLS error"}: ${error.message.split("\n")[0]}`;
      done(`TLS to ${url.host} failed: ${hint === undefined ? detail : `${hint} (${detail})`}`);
    });
  });
}
