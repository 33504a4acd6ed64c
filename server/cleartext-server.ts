import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { installFastLane } from "./grpc-fast-lane.js";

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** A request handler that takes both HTTP/1.1 and HTTP/2 compatibility requests. */
export type DualHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** Options of {@link createCleartextServer}. */
export interface CleartextServerOptions {
  /** A connection that sends nothing for this long before the protocol is known is closed. @default 10_000 */
  readonly sniffTimeoutMs?: number;
  /** Idle keep-alive timeout of HTTP/1.1 connections. @default 65_000 */
  readonly keepAliveTimeoutMs?: number;
  /** Most concurrent streams per HTTP/2 connection (also limits server streams per client). @default 1000 */
  readonly maxConcurrentStreams?: number;
  /** Called for each new connection with its protocol, for metrics. */
  readonly onConnection?: (protocol: "h1" | "h2c") => void;
  /** Offered each HTTP/2 stream before the handler; returns true when it served it (the gRPC fast lane). */
  readonly fastLane?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;
}

/** A `net.Server` serving HTTP/1.1 and HTTP/2 prior knowledge (h2c) on one port. */
export interface CleartextServer extends net.Server {
  /**
   * Starts a graceful close of live connections: HTTP/2 sessions get GOAWAY (in-flight streams
   * finish), idle HTTP/1.1 connections close. Call after `close()` stopped new connections.
   */
  closeConnectionsGracefully(): void;
  /** Destroys every live connection (the end of a shutdown deadline). */
  destroyConnections(): void;
}

/**
 * One cleartext port for both HTTP versions: gRPC needs HTTP/2, while browsers speak HTTP/1.1
 * to a cleartext server. Each connection's first bytes are read: the HTTP/2 preface goes to an
 * `http2` server, anything else to an `http` server. The bytes read are put back (`unshift`) and
 * a socket handed to HTTP/2 is never resumed (HTTP/2 reads it itself: resuming would lose bytes,
 * "bad client magic byte string").
 */
export function createCleartextServer(handler: DualHandler, options: CleartextServerOptions = {}): CleartextServer {
  const sniffTimeoutMs = options.sniffTimeoutMs ?? 10_000;
  const h1 = http.createServer(handler as http.RequestListener);
  h1.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  const h2 = http2.createServer(
    { settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 1000 } },
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  if (options.fastLane) installFastLane(h2, options.fastLane);
  const sessions = new Set<http2.Http2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {});
  });
  const sockets = new Set<net.Socket>();

  // noDelay: small RPC replies must not wait for Nagle + delayed ACK (~40 ms per round trip).
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.setTimeout(sniffTimeoutMs, () => socket.destroy());
    let head = Buffer.alloc(0);
    const decide = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE.length);
      const isH2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2 && head.length < PREFACE.length) return; // wait for more bytes
      socket.removeListener("readable", decide);
      socket.setTimeout(0);
      socket.unshift(head);
      if (isH2) {
        options.onConnection?.("h2c");
        h2.emit("connection", socket);
      } else {
        options.onConnection?.("h1");
        h1.emit("connection", socket);
      }
    };
    socket.on("readable", decide);
  }) as CleartextServer;

  // Errors raised by the protocol servers for one bad client must not reach the process.
  h1.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  server.closeConnectionsGracefully = () => {
    for (const s of sessions) s.close();
    h1.closeIdleConnections();
  };
  server.destroyConnections = () => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
  };
  return server;
}
