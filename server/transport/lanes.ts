/**
 * The transport's lanes as the server uses them (`--transport`): with `fast`, unary gRPC calls
 * (grpc-fast-lane.ts), unary gRPC-Web and Connect calls (web-lane.ts) and every streaming call in
 * the three protocols (stream-lane.ts) are taken before Fastify; with `connect`, nothing is, and
 * every call goes through Fastify + connect-es as they ship (the fallback, and the bench's baseline).
 */
import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { JsonWriteOptions } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { createGrpcFastLane } from "./grpc-fast-lane.js";
import type { GrpcLaneOptions } from "./grpc-lane-common.js";
import { createStreamLane } from "./stream-lane.js";
import { createWebLane } from "./web-lane.js";

/** Which transport serves RPCs (`--transport`). */
export type TransportMode = "fast" | "connect";

/** Options of {@link createLanes}: the values the connect-fastify plugin gets, and the CORS setting. */
export interface LanesOptions extends GrpcLaneOptions {
  /** connect's JSON options (for Connect error bodies). */
  readonly jsonOptions?: Partial<JsonWriteOptions>;
}

/** The lanes in front of connect-fastify. */
export interface Lanes {
  /** Wraps the router: services registered through it are served by connect and by the lanes. */
  record(router: ConnectRouter): ConnectRouter;
  /** Offered each HTTP/2 stream once the request gate let it through: true when a lane serves it. */
  serveStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** Offered each HTTP/1.1 request once the request gate let it through: true when a lane serves it. */
  serveRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /**
   * Whether a unary lane will take this HTTP/2 request once the gate let it through: the lane then
   * counts its body against the request-bytes budget in its own reader.
   */
  countsOwnStreamBody(headers: http2.IncomingHttpHeaders): boolean;
  /** The same for an HTTP/1.1 request. */
  countsOwnRequestBody(req: http.IncomingMessage): boolean;
  /** Unary calls the lanes served so far (all protocols). */
  unaryCalls(): number;
  /** Streams the lanes served so far. */
  streamCalls(): number;
}

/** Creates the lanes of `mode` with the same interceptors, limits and context values connect gets. */
export function createLanes(mode: TransportMode, options: LanesOptions): Lanes {
  if (mode === "connect")
    return {
      record: (router) => router,
      serveStream: () => false,
      serveRequest: () => false,
      countsOwnStreamBody: () => false,
      countsOwnRequestBody: () => false,
      unaryCalls: () => 0,
      streamCalls: () => 0,
    };
  const unary = createGrpcFastLane(options);
  const streams = createStreamLane(options);
  const web = createWebLane(options);
  return {
    record: (router) => unary.record(streams.record(web.record(router))),
    serveStream: (stream, headers) =>
      unary.handle(stream, headers) || streams.handle(stream, headers) || web.handleStream(stream, headers),
    serveRequest: (req, res) => web.handleRequest(req, res) || streams.handleRequest(req, res),
    // The unary lanes' route tables hold only unary methods, the stream lane's only streaming ones.
    countsOwnStreamBody: (headers) => unary.takes(headers) || web.takesStream(headers),
    countsOwnRequestBody: (req) => web.takesRequest(req),
    unaryCalls: () => unary.calls + web.calls,
    streamCalls: () => streams.calls,
  };
}

/**
 * Puts `handle` in front of a server's HTTP/1.1 request handling (Fastify's): each HTTP/1.x
 * request is offered to it first and goes on to the server's own `request` listeners when it
 * declines. HTTP/2 compat requests (a TLS server with allowHTTP1) are passed on untouched: their
 * streams met the lanes already.
 */
export function installRequestLane(
  server: http.Server | http2.Http2SecureServer,
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): void {
  const listeners = server.listeners("request") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("request");
  server.on("request", function (this: unknown, req: http.IncomingMessage, res: http.ServerResponse) {
    if (req.httpVersionMajor === 1 && handle(req, res)) return;
    // biome-ignore lint/complexity/noArguments: handed on as they came
    for (const l of listeners) l.apply(server, arguments as unknown as unknown[]);
  });
}
