/**
 * The TLS port's limits: Fastify's own HTTP/2 secure server (ALPN h2 and HTTP/1.1) gets what the
 * cleartext port does in cleartext-server.ts — connection caps, the idle timeout of HTTP/2
 * sessions, HTTP/1.1's header/request/keep-alive timeouts, and the HTTP/2 windows. The TLS
 * handshake deadline is the `handshakeTimeout` option given when the server is created.
 */
import type * as http2 from "node:http2";
import type * as net from "node:net";
import type { CleartextServerOptions } from "./cleartext-server.js";
import { type ConnectionGuard, createConnectionGuard, guardServer } from "./connection-guard.js";

/** The HTTP/1.1 timeouts Node checks on an `allowHTTP1` secure server (public properties, set before listen). */
interface Http1Timeouts {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
}

/** Applies `options` (the same the cleartext server takes) to a secure HTTP/2 server before it listens. */
export function limitSecureServer(server: http2.Http2SecureServer, options: CleartextServerOptions): ConnectionGuard {
  const limits = options.limits ?? { maxClients: 0, maxClientsPerAddress: 0, idleTimeoutMs: 0 };
  const guard = createConnectionGuard(limits, options.onRefused);
  // The fast lane's `stream` listener (installed after this) then counts the streams for the guard.
  guardServer(server, guard);
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const h1 = server as unknown as Http1Timeouts;
  h1.requestTimeout = requestTimeoutMs;
  h1.headersTimeout = Math.min(options.headersTimeoutMs ?? 10_000, requestTimeoutMs || Number.MAX_SAFE_INTEGER);
  h1.keepAliveTimeout = limits.idleTimeoutMs > 0 ? limits.idleTimeoutMs : 65_000;
  h1.connectionsCheckingInterval = Math.max(250, Math.min(1000, requestTimeoutMs || 1000));
  // Before TLS's own listener: a refused socket is destroyed before any handshake work.
  server.prependListener("connection", (socket: net.Socket) => {
    guard.admit(socket);
  });
  server.on("session", (session: http2.ServerHttp2Session) => {
    guard.watchSession(session);
    const windows = options.http2Windows;
    if (windows && windows.connection > 65_535) session.setLocalWindowSize(windows.connection);
  });
  return guard;
}
