import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import {
  type ConnectionGuard,
  type ConnectionLimits,
  type ConnectionRefusal,
  createConnectionGuard,
  guardServer,
} from "./connection-guard.js";
import { installFastLane } from "./transport/grpc-fast-lane.js";
import { installRequestLane } from "./transport/lanes.js";

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** A request handler that takes both HTTP/1.1 and HTTP/2 compatibility requests. */
export type DualHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** Options of {@link createCleartextServer}. */
export interface CleartextServerOptions {
  /**
   * A connection must have shown its protocol (the HTTP/2 preface, or any other first byte)
   * within this long of being accepted, however slowly it drips bytes. @default 10_000
   */
  readonly handshakeTimeoutMs?: number;
  /** HTTP/1.1: a request's headers must have arrived within this long of its first byte. @default 10_000 */
  readonly headersTimeoutMs?: number;
  /** HTTP/1.1: a whole request (headers and body) must have arrived within this long. @default 60_000 */
  readonly requestTimeoutMs?: number;
  /** Connection caps and the idle timeout (HTTP/2 sessions with no stream, HTTP/1.1 keep-alive). */
  readonly limits?: ConnectionLimits;
  /** Told each connection refused or closed by a limit (metrics, rate-limited log). */
  readonly onRefused?: (reason: ConnectionRefusal | "handshake_timeout", address: string) => void;
  /** Told each malformed or timed-out HTTP/1.1 request Node refused before it reached the handler. */
  readonly onClientError?: (kind: "request_timeout" | "bad_http_request", address: string) => void;
  /** HTTP/2 flow-control windows: per stream (SETTINGS_INITIAL_WINDOW_SIZE) and per connection. */
  readonly http2Windows?: Http2Windows;
  /** Most concurrent streams per HTTP/2 connection (also limits server streams per client). @default 1000 */
  readonly maxConcurrentStreams?: number;
  /** Called for each new connection with its protocol, for metrics. */
  readonly onConnection?: (protocol: "h1" | "h2c") => void;
  /** Offered each HTTP/2 stream before the handler; returns true when it served it (the gRPC fast lane). */
  readonly fastLane?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;
  /** Offered each HTTP/1.1 request before the handler; returns true when it served it (the request gate, the web lane). */
  readonly http1Lane?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/** HTTP/2 receive windows, in bytes. */
export interface Http2Windows {
  /** Each stream's window (SETTINGS_INITIAL_WINDOW_SIZE; HTTP/2's default is 65,535). */
  readonly stream: number;
  /** The connection's window (HTTP/2's default is 65,535). */
  readonly connection: number;
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
  /** The connection caps and idle timeout of this port. */
  connectionGuard: ConnectionGuard;
}

/**
 * One cleartext port for both HTTP versions: gRPC needs HTTP/2, while browsers speak HTTP/1.1
 * to a cleartext server. Each connection's first bytes are read: the HTTP/2 preface goes to an
 * `http2` server, anything else to an `http` server. The bytes read are put back (`unshift`) and
 * a socket handed to HTTP/2 is never resumed (HTTP/2 reads it itself: resuming would lose bytes,
 * "bad client magic byte string").
 */
export function createCleartextServer(handler: DualHandler, options: CleartextServerOptions = {}): CleartextServer {
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const limits = options.limits ?? { maxClients: 0, maxClientsPerAddress: 0, idleTimeoutMs: 0 };
  const onRefused = options.onRefused ?? (() => {});
  const guard = createConnectionGuard(limits, onRefused);
  const h1 = http.createServer(
    {
      // Node checks these for connections it tracks; see startTracking below.
      headersTimeout: Math.min(options.headersTimeoutMs ?? 10_000, requestTimeoutMs || Number.MAX_SAFE_INTEGER),
      requestTimeout: requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs > 0 ? limits.idleTimeoutMs : 65_000,
      connectionsCheckingInterval: Math.max(250, Math.min(1000, requestTimeoutMs || 1000)),
    },
    handler as http.RequestListener,
  );
  // Node starts the headers/request timeout checks, and the connection list closeIdleConnections()
  // walks, when an http.Server emits "listening" (setupConnectionsTracking). This one never
  // listens (connections are handed to it), so without this it had no timeouts at all and
  // shutdown waited on idle keep-alive connections. test/reliability/connections.test.ts fails
  // loudly if a Node upgrade changes that.
  h1.emit("listening");
  if (options.http1Lane) installRequestLane(h1, options.http1Lane);
  const h2 = http2.createServer(
    {
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams ?? 1000,
        ...(options.http2Windows ? { initialWindowSize: options.http2Windows.stream } : {}),
      },
    },
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  guardServer(h2, guard);
  if (options.fastLane) installFastLane(h2, options.fastLane);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {});
    guard.watchSession(session);
    const windows = options.http2Windows;
    if (windows && windows.connection > 65_535) session.setLocalWindowSize(windows.connection);
  });
  const sockets = new Set<net.Socket>();
  /** Sockets whose protocol is not known yet (closed at once on shutdown). */
  const sniffing = new Set<net.Socket>();

  // noDelay: small RPC replies must not wait for Nagle + delayed ACK (~40 ms per round trip).
  let closing = false;
  const server = net.createServer({ noDelay: true }, (socket) => {
    // Fastify stops listening a little after the shutdown starts: what arrives meanwhile is turned away.
    if (closing) {
      socket.on("error", () => {});
      socket.destroy();
      return;
    }
    if (!guard.admit(socket)) return;
    sockets.add(socket);
    sniffing.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      sniffing.delete(socket);
    });
    socket.on("error", () => {});
    // An absolute deadline: an idle timeout would be reset by every byte a slow client drips.
    const deadline = setTimeout(() => {
      onRefused("handshake_timeout", socket.remoteAddress ?? "");
      socket.destroy();
    }, handshakeTimeoutMs);
    deadline.unref();
    let head = Buffer.alloc(0);
    const decide = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE.length);
      const isH2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2 && head.length < PREFACE.length) return; // wait for more bytes
      socket.removeListener("readable", decide);
      clearTimeout(deadline);
      sniffing.delete(socket);
      socket.unshift(head);
      if (isH2) {
        // A destroyed session ends its side of the socket and then waits for the peer's FIN,
        // which a client that stopped reading never sends: nothing is read after our side is done.
        socket.once("finish", () => socket.destroy());
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
  h1.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    // As Node's default: 408 for the headers/request timeouts, 431 for oversized headers.
    const status =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? "408 Request Timeout"
        : err.code === "HPE_HEADER_OVERFLOW"
          ? "431 Request Header Fields Too Large"
          : "400 Bad Request";
    options.onClientError?.(
      status.startsWith("408") ? "request_timeout" : "bad_http_request",
      (socket as net.Socket).remoteAddress ?? "",
    );
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  server.closeConnectionsGracefully = () => {
    closing = true;
    for (const s of sniffing) s.destroy();
    for (const s of sessions) guard.closeSession(s);
    h1.closeIdleConnections();
  };
  server.destroyConnections = () => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
  };
  server.connectionGuard = guard;
  return server;
}
