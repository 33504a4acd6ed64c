/**
 * The bare floors of the transport bench: a `node:http2` or `node:http` server that reads each
 * request's body and answers every request with one fixed reply, with no framework, router or
 * codec. What a request costs here is what Node itself costs; the transport's rows are compared
 * with it.
 *
 *   node floor-child.mjs h2c|http1|tls [KEY CERT]
 *
 * Prints `{"port": N}` once listening (127.0.0.1, a port the OS chose); runs until killed.
 *   - h2c: HTTP/2 prior knowledge, a fixed gRPC reply (HEADERS, one DATA frame, trailers with grpc-status 0)
 *   - http1: HTTP/1.1 keep-alive, a fixed 200 reply with a small body
 *   - tls: HTTP/2 over TLS (ALPN h2), a fixed 200 reply with a small body and trailers
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

const [mode, key, cert] = process.argv.slice(2);
// A GetResponse with an 8-byte value, framed as gRPC (what Memorabilia answers to the bench's GET).
const MESSAGE = Buffer.from([0x0a, 0x08, ...Buffer.from("vvvvvvvv")]);
const GRPC_REPLY = Buffer.concat([Buffer.from([0, 0, 0, 0, MESSAGE.length]), MESSAGE]);

function onStream(contentType: string, trailers: http2.OutgoingHttpHeaders) {
  return (stream: http2.ServerHttp2Stream) => {
    stream.on("error", () => {});
    stream.on("data", () => {});
    stream.on("end", () => {
      if (stream.destroyed) return;
      stream.respond({ ":status": 200, "content-type": contentType }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers(trailers));
      stream.end(GRPC_REPLY);
    });
  };
}

let server: http.Server | http2.Http2Server | http2.Http2SecureServer;
if (mode === "h2c") {
  server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  server.on("stream", onStream("application/grpc+proto", { "grpc-status": "0" }));
} else if (mode === "tls") {
  server = http2.createSecureServer({
    key: readFileSync(key as string),
    cert: readFileSync(cert as string),
    settings: { maxConcurrentStreams: 1000 },
  });
  server.on("stream", onStream("application/grpc+proto", { "grpc-status": "0" }));
} else if (mode === "http1") {
  server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/proto", "content-length": MESSAGE.length });
      res.end(MESSAGE);
    });
  });
} else {
  process.stderr.write(`floor-child: unknown mode ${mode}\n`);
  process.exit(2);
}
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
