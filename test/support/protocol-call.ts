/**
 * One RPC over HTTP/1.1 or HTTP/2 (cleartext or TLS) on a fresh connection, with raw headers and
 * body bytes, resolved with everything the client saw but Date: for tests that compare the fast
 * transport with connect's path byte for byte.
 */
import * as http from "node:http";
import * as https from "node:https";
import { h2Request, withoutDate } from "./h2-client.js";

/** What one call got back. */
export interface CallAnswer {
  status: number;
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  /** The body bytes, hex. */
  body: string;
}

/** One request, on a fresh connection; what the client saw, but Date. */
export function call(
  transport: "h1" | "h2",
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
  ca?: Buffer,
): Promise<CallAnswer> {
  const tls = url.startsWith("https:");
  return new Promise((resolve, reject) => {
    if (transport === "h2") {
      h2Request(url, { ":method": "POST", ":path": path, ...headers }, body, { connect: tls ? { ca } : {} }).then(
        (a) =>
          resolve({
            status: Number(a.headers[":status"] ?? 0),
            headers: { ...withoutDate(a.headers) },
            trailers: { ...a.trailers },
            body: a.body.toString("hex"),
          }),
        reject,
      );
      return;
    }
    const req = (tls ? https : http).request(
      `${url}${path}`,
      { method: "POST", agent: false, headers: { ...headers, "content-length": body.length }, ...(tls ? { ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const h = { ...res.headers };
          delete h.date;
          resolve({
            status: res.statusCode ?? 0,
            headers: h,
            trailers: { ...res.trailers },
            body: Buffer.concat(chunks).toString("hex"),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
